import Foundation
import KeelCore
import KeelStore
import KeelTestSupport
import Testing

/// The hot records (batches, orders, fills, trades, positions, paper broker orders) are written and read as plain SQL
/// rows, one mapping each. Every column set, written and read back, must be the record itself on both databases.
@Suite("Row mappings")
struct RowMappingTests {
    @Test("batches, orders, fills, trades, positions and paper orders read back exactly as written, every field set", arguments: TestDatabase.available)
    func everyFieldRoundTrips(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            let scenario = try await TradingScenario.make(app)
            // Whole seconds: both databases keep at least that.
            let at = Date(timeIntervalSince1970: (TestFixtures.now.timeIntervalSince1970).rounded(.down))
            var order = BatchOrderRecord(orderID: "order-row", batchID: "batch-row", sequence: 0, symbol: "AAPL", side: .sell, quantity: Decimal(string: "12.5")!,
                                         referencePrice: Decimal(string: "187.1234")!, estimatedNotional: Decimal(string: "2339.04")!, currentWeight: 0.125,
                                         targetWeight: 0.0625, clientOrderKey: "key-row", status: .partiallyFilled, brokerOrderID: "B-1",
                                         filledQuantity: Decimal(string: "7.25")!, averageFillPrice: Decimal(string: "187.5")!, commission: Decimal(string: "0.03")!,
                                         rejectReason: "part rejected", submittedAt: at, updatedAt: at.addingTimeInterval(5))
            var batch = BatchRecord(batchID: "batch-row", clientID: scenario.clientID, accountHash: scenario.accountHash, portfolioID: 1, strategy: "momentum",
                                    modelVersion: "v9", status: .partiallyExecuted, contentHash: "hash", requireApproval: true,
                                    portfolioValue: Decimal(string: "100000.01")!, planNotes: "notes", createdBy: "tester", createdAt: at,
                                    approvalExpiresAt: at.addingTimeInterval(3600), orders: [order])
            batch.modelID = "model-1"
            batch.cycleID = "cycle-1"
            batch.approvedBy = "approver"
            batch.approvedAt = at.addingTimeInterval(60)
            batch.approvedHash = "hash"
            batch.rejectedBy = "nobody"
            batch.rejectedAt = at.addingTimeInterval(61)
            batch.rejectionReason = "a reason"
            batch.executionMode = .paper
            batch.executedBy = "executor"
            batch.executionStartedAt = at.addingTimeInterval(120)
            batch.executedAt = at.addingTimeInterval(180)
            batch.error = "AAPL: part rejected"
            batch.updatedAt = at.addingTimeInterval(181)
            let fill = FillRecord(fillID: "fill-row", orderID: "order-row", accountHash: scenario.accountHash, symbol: "AAPL", side: .sell,
                                  quantity: Decimal(string: "7.25")!, price: Decimal(string: "187.5")!, commission: Decimal(string: "0.03")!,
                                  filledAt: at.addingTimeInterval(130), recordedAt: at.addingTimeInterval(131))
            let trade = TradeRecord(tradeID: "trade-row", userID: "user-row", strategyID: "momentum", clientID: scenario.clientID,
                                    accountHash: scenario.accountHash, symbol: "AAPL", side: TradeSide.long.rawValue, quantity: Decimal(string: "7.25")!,
                                    entryPrice: Decimal(string: "150.25")!, exitPrice: Decimal(string: "187.5")!, profitLoss: Decimal(string: "270.03")!,
                                    fees: Decimal(string: "0.06")!, status: .closed, entryTime: at.addingTimeInterval(-86_400), exitTime: at.addingTimeInterval(130),
                                    entryOrderID: "order-before", exitOrderID: "order-row")
            let position = PositionRecord(accountHash: scenario.accountHash, clientID: scenario.clientID, userID: "user-row", symbol: "ZZZ",
                                          quantity: Decimal(string: "3.5")!, averageCost: Decimal(string: "10.123456")!, openedAt: at, updatedAt: at.addingTimeInterval(1))
            var paper = PaperOrderRow(brokerOrderID: "PAPER-row", accountID: scenario.accountHash, clientOrderKey: "key-row", symbol: "AAPL", side: .sell,
                                      quantity: Decimal(string: "12.5")!, status: "partially_filled", rejectReason: "volume", fillID: nil, fillPrice: nil,
                                      fillQuantity: nil, commission: Decimal(string: "0.03")!, createdAt: at)
            paper.orderType = "limit"
            paper.limitPrice = Decimal(string: "186")!
            paper.fills = "[]"
            paper.updatedAt = at.addingTimeInterval(2)

            let (firstBatch, firstPaper) = (batch, paper)
            try await app.database.write { session in
                try await session.batches.insert([firstBatch])
                try await session.ledger.insertFills([fill])
                try await session.ledger.saveTrades([trade])
                try await session.ledger.savePositions([position])
                try await session.paperBroker.insert([firstPaper])
            }
            let read = try await app.database.read { session in
                (try await session.batches.find("batch-row"), try await session.ledger.fills(orderID: "order-row"), try await session.ledger.trade("trade-row"),
                 try await session.ledger.position(accountHash: scenario.accountHash, symbol: "ZZZ"),
                 try await session.paperBroker.order(clientOrderKey: "key-row"))
            }
            #expect(read.0 == batch)
            #expect(read.1 == [fill])
            #expect(read.2 == trade)
            #expect(read.3 == position)
            #expect(read.4 == paper)

            // The multi-row writers overwrite every column of what exists.
            order.status = .filled
            order.rejectReason = nil
            order.averageFillPrice = nil
            order.updatedAt = at.addingTimeInterval(500)
            batch.orders = [order]
            batch.status = .executed
            batch.error = nil
            batch.modelID = nil
            var closed = trade
            closed.exitPrice = nil
            closed.profitLoss = nil
            closed.status = .open
            let (savedOrder, savedBatch, savedTrade) = (order, batch, closed)
            try await app.database.write { session in
                try await session.batches.saveOrders([savedOrder])
                try await session.batches.save(savedBatch)
                try await session.ledger.saveTrades([savedTrade])
            }
            let again = try await app.database.read { session in (try await session.batches.find("batch-row"), try await session.ledger.trade("trade-row")) }
            #expect(again.0 == batch)
            #expect(again.1 == closed)
        }
    }
}
