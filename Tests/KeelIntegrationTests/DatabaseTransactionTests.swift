import Foundation
import KeelBrokers
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import SQLKit
import Testing

@Suite("Database transactions")
struct DatabaseTransactionTests {
    @Test("an error part-way through a batch write leaves nothing half-written", arguments: TestDatabase.available)
    func rollbackMidBatch(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let existing = try #require(try await scenario.rebalance(app).object.objects("orders").first?.string("client_order_key"))
            let before = (try await app.count("trade_batches"), try await app.count("batch_orders"))
            let now = app.clock.now()
            func order(_ seq: Int, key: String) -> BatchOrderRecord {
                BatchOrderRecord(orderID: UUID().uuidString, batchID: "rollback-batch", sequence: seq, symbol: "AAPL", side: .buy, quantity: 1,
                                 referencePrice: 100, estimatedNotional: 100, currentWeight: 0, targetWeight: 0.1, clientOrderKey: key,
                                 status: .planned, updatedAt: now)
            }
            // The second order reuses a client order key: the unique key fails after the batch and first order were written.
            let batch = BatchRecord(batchID: "rollback-batch", clientID: scenario.clientID, accountHash: scenario.accountHash, portfolioID: 1,
                                    strategy: "momentum", modelVersion: "test", status: .pendingApproval, contentHash: "x", requireApproval: true,
                                    portfolioValue: 0, planNotes: "{}", createdBy: "test", createdAt: now, approvalExpiresAt: nil,
                                    orders: [order(1, key: "fresh-key-1"), order(2, key: existing)])
            await #expect(throws: StoreError.self) {
                try await app.database.write { try await $0.batches.insert(batch) }
            }
            #expect(try await app.count("trade_batches") == before.0)
            #expect(try await app.count("batch_orders") == before.1)
            #expect(try await app.count("batch_orders", where: "client_order_key = 'fresh-key-1'") == 0)
        }
    }

    @Test("parallel approvals of one batch: exactly one succeeds", arguments: TestDatabase.available)
    func concurrentApprovals(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try #require(try await scenario.rebalance(app).object.string("batch_id"))
            let codes = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(codes.filter { $0 == 200 }.count == 1)
            #expect(codes.filter { $0 == 409 }.count == 5)
            #expect(try await app.count("audit_log", where: "action = 'batch.approve'") == 1)
        }
    }

    @Test("parallel executions on separate accounts all complete", arguments: TestDatabase.available)
    func concurrentAccountsExecute(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            var scenarios: [TradingScenario] = []
            for seed in 1...3 { scenarios.append(try await TradingScenario.make(app, factory: Factory(seed: UInt64(seed * 101)))) }
            var batches: [(TradingScenario, String)] = []
            for scenario in scenarios { batches.append((scenario, try await scenario.approvedBatch(app))) }
            let results = try await withThrowingTaskGroup(of: UInt.self) { group in
                for (scenario, batchID) in batches {
                    group.addTask { try await scenario.execute(app, batchID: batchID, dryRun: false).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(results == [200, 200, 200])
            #expect(try await app.count("trade_batches", where: "status = 'executed'") == 3)
            #expect(try await app.count("fills") == app.count("batch_orders"))
        }
    }

    @Test("deleting a client removes everything that belongs to it, keeps the audit trail", arguments: TestDatabase.available)
    func cascadeDelete(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            _ = try await scenario.execute(app, batchID: batchID, dryRun: false)
            let tables = ["brokerage_accounts", "client_preferences", "trade_batches", "batch_orders", "fills", "positions", "trades",
                          "paper_broker_accounts", "paper_broker_orders"]
            for table in tables { #expect(try await app.count(table) > 0, "\(table) should have rows before the delete") }
            let auditBefore = try await app.count("audit_log")

            #expect(try await app.request(.DELETE, "/api/clients/\(scenario.clientID)", token: scenario.token).status == .forbidden,
                    "only an admin erases a client")
            let admin = try await app.loginAdmin()
            #expect(try await app.request(.DELETE, "/api/clients/\(scenario.clientID)", token: admin).status == .noContent)
            for table in tables { #expect(try await app.count(table) == 0, "\(table) kept rows of a deleted client") }
            #expect(try await app.count("clients") == 0)
            #expect(try await app.count("audit_log") > auditBefore)
            #expect(try await app.request(.GET, "/api/clients/\(scenario.clientID)", token: admin).status == .notFound)
        }
    }

    @Test("foreign keys refuse orphans, even from direct SQL", arguments: TestDatabase.available)
    func foreignKeyConstraints(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let sql = app.database.sql
            await #expect(throws: (any Error).self) {
                try await sql.raw("""
                    INSERT INTO brokerage_accounts (account_hash, client_id, brokerage_id, account_number, account_type, status, cash, currency, created_at, updated_at)
                    VALUES ('orphanhash', 999999, 2, 'X-1', 'individual', 'active', 0, 'USD', \(bind: Date()), \(bind: Date()))
                    """).run()
            }
            await #expect(throws: (any Error).self) {
                try await sql.raw("""
                    INSERT INTO positions (account_hash, client_id, symbol, quantity, average_cost, opened_at, updated_at)
                    VALUES ('no-such-account', \(bind: scenario.clientID), 'AAPL', 1, 1, \(bind: Date()), \(bind: Date()))
                    """).run()
            }
            // A brokerage with accounts cannot be deleted (RESTRICT), and the failed statement changed nothing.
            await #expect(throws: (any Error).self) {
                try await sql.raw("DELETE FROM brokerages WHERE brokerage_id = 2").run()
            }
            #expect(try await app.count("brokerages") == 2)
            #expect(try await app.count("brokerage_accounts") == 1)
            #expect(try await app.count("positions") == 0)
        }
    }

    @Test("unique constraints hold at the database, and bar upserts never duplicate", arguments: TestDatabase.available)
    func uniqueConstraints(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let email = try #require(try await app.request(.GET, "/api/clients/\(scenario.clientID)", token: scenario.token).object.string("email"))
            let sql = app.database.sql
            await #expect(throws: (any Error).self) {
                try await sql.raw("""
                    INSERT INTO clients (first_name, last_name, email, risk_tolerance, status, created_by, created_at, updated_at)
                    VALUES ('Copy', 'Cat', \(bind: email), 'moderate', 'active', 'test', \(bind: Date()), \(bind: Date()))
                    """).run()
            }
            #expect(try await app.count("clients") == 1)

            let bars = try await app.count("market_bars", where: "symbol = 'AAPL'")
            let history = try await app.database.read { try await $0.marketBars.history(symbols: ["AAPL"], since: .distantPast) }
            let series = try #require(history.first)
            try await app.database.write { try await $0.marketBars.upsert(series, interval: "1d", source: "simulator") }
            #expect(try await app.count("market_bars", where: "symbol = 'AAPL'") == bars)
            await #expect(throws: (any Error).self) {
                try await sql.raw("""
                    INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, volume, source)
                    VALUES ('AAPL', '1d', \(bind: series.timestamps[0]), 1, 1, 1, 1, 1, 'dup')
                    """).run()
            }
        }
    }

    @Test("bar upserts store every field alike on both databases: missing adjusted closes stay NULL, a second write replaces, quality per bar, more bars than one statement's chunk",
          arguments: TestDatabase.available)
    func barUpsertRoundTrip(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            var series = BarSeries(symbol: "AAPL")
            let start = Date(timeIntervalSince1970: 0)
            let count = 25_000
            for i in 0..<count {
                series.append(timestamp: start.addingTimeInterval(Double(i) * 3_600), open: 10 + Double(i) * 0.01, high: 11 + Double(i) * 0.01,
                              low: 9, close: 10.5 + Double(i) * 0.001, volume: i % 7 == 0 ? .nan : Double(i))
            }
            let bars = series
            let adjusted = (0..<count).map { $0 % 3 == 0 ? Double.nan : Double($0) / 8 }
            let quality = (0..<count).map { $0 == count - 1 ? "quarantined" : $0 % 5 == 0 ? "warning" : "ok" }
            let include = (0..<count).map { $0 != 10 }
            try await app.database.write {
                try await $0.marketBars.upsert(bars, interval: "1h", source: "first", adjustedClose: adjusted, quality: quality, include: include)
            }
            let stored = try await app.database.read { try await $0.marketBars.bars(symbol: "AAPL", interval: "1h", from: nil, to: nil, limit: 100_000) }
            #expect(stored.count == count - 1, "every included bar, across chunks")
            for bar in stored.prefix(200) + stored.suffix(200) {
                let i = Int((bar.timestamp.timeIntervalSince1970 / 3_600).rounded())
                #expect(bar.open == series.open[i] && bar.high == series.high[i] && bar.close == series.close[i] && bar.low == 9)
                #expect(bar.volume == (i % 7 == 0 ? 0 : Double(i)), "a missing volume is stored as 0")
                #expect(bar.adjustedClose == (i % 3 == 0 ? nil : Double(i) / 8))
                #expect(bar.quality == quality[i] && bar.source == "first")
            }
            let latest = try await app.database.read { try await $0.marketBars.latestPrices(symbols: ["AAPL", "AAPL", "NOPE"], interval: "1h") }
            #expect(latest.count == 1 && latest["AAPL"]?.timestamp == series.timestamps[count - 2] && latest["AAPL"]?.close == series.close[count - 2],
                    "the newest bar that is not quarantined: \(latest)")
            var changed = BarSeries(symbol: "AAPL")
            for i in 0..<count {
                changed.append(timestamp: series.timestamps[i], open: series.open[i], high: series.high[i] + 1, low: series.low[i],
                               close: series.close[i] + 1, volume: 1)
            }
            let second = changed
            try await app.database.write { try await $0.marketBars.upsert(second, interval: "1h", source: "second") }
            let replaced = try await app.database.read { try await $0.marketBars.bars(symbol: "AAPL", interval: "1h", from: nil, to: nil, limit: 100_000) }
            #expect(replaced.count == count, "the excluded bar is added, none duplicated")
            #expect(replaced.allSatisfy { $0.source == "second" && $0.adjustedClose == nil && $0.quality == "ok" })
            #expect(replaced.last?.close == series.close[count - 1] + 1)
            let newest = try await app.database.read { try await $0.marketBars.latestPrices(symbols: ["AAPL"], interval: "1h") }
            #expect(newest["AAPL"]?.timestamp == series.timestamps[count - 1] && newest["AAPL"]?.assetClass == "equity", "\(newest)")
        }
    }

    @Test("approve and reject racing on one batch: one wins, the state is consistent", arguments: TestDatabase.available)
    func lockHandling(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            for _ in 0..<3 {
                let batchID = try #require(try await scenario.rebalance(app).object.string("batch_id"))
                async let approve = app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token)
                async let reject = app.request(.POST, "/api/rl/trading/batches/\(batchID)/reject", token: scenario.token, json: ["reason": "race"])
                let (approved, rejected) = try await (approve, reject)
                let final = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token).object.string("status")
                if approved.status == .ok && rejected.status == .ok {
                    #expect(final == "rejected", "a reject after the approval wins")
                } else {
                    #expect([approved.status.code, rejected.status.code].contains(409))
                    #expect(final == (approved.status == .ok ? "approved" : "rejected"))
                }
                let actions = try await app.count("audit_log", where: "entity_id = '\(batchID)' AND action IN ('batch.approve', 'batch.reject')")
                #expect(actions == [approved, rejected].filter { $0.status == .ok }.count)
            }
        }
    }

    @Test("more parallel requests than database connections all succeed", arguments: TestDatabase.available)
    func connectionPoolUnderLoad(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 1) { app in
            let scenario = try await TradingScenario.make(app)
            let codes = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<48 {
                    group.addTask {
                        let path = index.isMultiple(of: 2) ? "/api/portfolio-health/\(scenario.clientID)" : "/api/clients/\(scenario.clientID)"
                        return try await app.request(.GET, path, token: scenario.token).status.code
                    }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(codes.count == 48)
            #expect(codes.allSatisfy { $0 == 200 })
        }
    }

    @Test("after a crash mid-execution, reconciliation settles every order without re-sending", arguments: TestDatabase.available)
    func reconciliationAfterCrash(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            // Simulate a process that claimed the batch, committed two intents, reached the broker with the
            // first only, and died.
            var batch = try #require(try await app.database.read { try await $0.batches.find(batchID) })
            #expect(batch.orders.count >= 3)
            let now = app.clock.now()
            _ = try await app.database.write { try await $0.batches.transition(batchID, from: [.approved], to: .executing, at: now,
                                                                              setting: ["execution_started_at": now, "execution_mode": "paper"]) }
            for index in 0..<2 {
                batch.orders[index].status = .submitting
                batch.orders[index].submittedAt = now
                let order = batch.orders[index]
                try await app.database.write { try await $0.batches.saveOrder(order) }
            }
            let first = batch.orders[0]
            _ = try await app.services.brokers.paper.placeOrder(BrokerOrderRequest(
                accountID: scenario.accountHash, clientOrderKey: first.clientOrderKey, symbol: first.symbol, side: first.side, quantity: first.quantity))

            let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
            #expect(report.ordersResolved == 2)
            #expect(report.batchesFinished == 1)
            #expect(report.mismatches.isEmpty, "Keel's books match the paper broker's after reconciliation")
            let settled = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token).object
            #expect(settled.string("status") == "partially_executed")
            let statuses = settled.objects("orders").map { $0.string("status") ?? "" }
            #expect(statuses[0] == "filled")
            #expect(statuses[1] == "cancelled")
            #expect(statuses[2...].allSatisfy { $0 == "cancelled" })
            #expect(try await app.count("paper_broker_orders") == 1, "nothing was re-sent")
            #expect(try await app.count("fills") == 1)
            #expect(try await app.count("positions") == 1)
        }
    }

    @Test("ledger decimals survive the database exactly", arguments: TestDatabase.available)
    func decimalPrecision(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let client = try await app.request(.POST, "/api/clients/", token: token, json: Factory().client())
            let clientID = try #require(client.object.int("client_id"))
            let account = try await app.request(.POST, "/api/brokerages/accounts", token: token, json: [
                "client_id": clientID, "brokerage_id": 2, "account_type": "individual", "starting_cash": 1_234_567.89,
            ])
            let hash = try #require(account.object.string("account_hash"))
            let stored = try await app.database.read { try await $0.accounts.find(hash: hash) }
            #expect(stored?.cash == Decimal(string: "1234567.89"))
            let position = PositionRecord(accountHash: hash, clientID: clientID, userID: nil, symbol: "BTC-USD",
                                          quantity: Decimal(string: "0.123457")!, averageCost: Decimal(string: "64321.123456")!,
                                          openedAt: app.clock.now(), updatedAt: app.clock.now())
            try await app.database.write { try await $0.ledger.savePosition(position) }
            let read = try await app.database.read { try await $0.ledger.position(accountHash: hash, symbol: "BTC-USD") }
            #expect(read?.quantity == Decimal(string: "0.123457"))
            #expect(read?.averageCost == Decimal(string: "64321.123456"))
        }
    }
}
