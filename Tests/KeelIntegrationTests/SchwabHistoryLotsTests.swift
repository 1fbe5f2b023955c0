import Foundation
import KeelBrokers
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing

/// The tax lots of the shares a Schwab account brings with it come from Schwab's trade history (read a year at a time),
/// not from its average cost; shares bought at Schwab outside Keel get their own lot; Keel's own orders are never
/// lotted twice.
@Suite("Schwab history lots")
struct SchwabHistoryLotsTests {
    static let admin = Principal(userID: "admin", role: .admin, clientID: nil)

    @Test("a linked account's lots are its purchases from Schwab's history; the unexplained rest keeps the average's basis", arguments: TestDatabase.available)
    func linkedAccountLotsComeFromHistory(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let linked = try await s.link(clientID: clientID)
            let accounts = linked.object.objects("accounts")
            let margin = try #require(accounts.first { $0.string("account_type") == "margin" }?.string("account_hash"), "\(linked)")
            let cash = try #require(accounts.first { $0.string("account_type") == "cash" }?.string("account_hash"), "\(linked)")
            let today = CivilDay(s.app.clock.now())
            func summary(_ hash: String) async throws -> [String: [String]] {
                let lots = try await s.app.services.tax.lots(accountHash: hash, by: Self.admin)
                return Dictionary(grouping: lots, by: \.symbol).mapValues { lots in
                    lots.sorted { $0.acquiredOn < $1.acquiredOn }.map { "\($0.quantity)@\($0.basisPerShare) \(today.number - $0.acquiredOn.number)d \($0.basisKnown)" }
                }
            }
            // SPY: 80 bought, 20 of them sold (FIFO), 40 bought again; AAPL over two years (three windows of history).
            #expect(try await summary(margin) == ["SPY": ["60@450 400d true", "40@525 100d true"], "AAPL": ["30@160 800d true", "20@185 200d true"]])
            // MSFT: 10 from the history; the other 10 at what Schwab's 380 average leaves for them (7,600 - 4,000).
            #expect(try await summary(cash) == ["MSFT": ["10@400 60d true", "10@360 0d true"]])
            #expect(try await s.app.count("audit_log", where: "action = 'tax.lots_from_history'") == 2)

            // Reconciliation finds nothing to open; a second sync adds nothing.
            let reconciled = try await s.app.request(.POST, "/api/system/reconcile", token: s.token)
            #expect(reconciled.status == .ok, "\(reconciled)")
            let lotsBefore = try await s.app.count("tax_lots")
            #expect(try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: s.token).status == .ok)
            #expect(try await s.app.count("tax_lots") == lotsBefore)
            #expect(try await s.app.count("tax_lots", where: "lot_id LIKE 'opening-%'") == 0)
        }
    }

    @Test("shares bought at Schwab outside Keel get their own lot at their price, even when Keel bought the name after them", arguments: TestDatabase.available)
    func sharesBoughtOutsideKeel(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let hash = try #require(try await s.link(clientID: clientID).object.objects("accounts").first { $0.string("account_type") == "margin" }?
                .string("account_hash"))
            // Keel plans a live batch; before it executes, the client buys 7 of a name the batch buys at Schwab directly.
            _ = try await s.app.request(.PUT, "/api/clients/\(clientID)/preferences", token: s.token, json: ["trading_mode": "live", "portfolio_id": 2])
            let batch = try await s.app.request(.POST, "/api/rl/trading/rebalance", token: s.token,
                                                json: ["client_id": clientID, "account_hash": hash, "portfolio_id": 2, "max_positions": 6, "require_approval": false])
            let batchID = try #require(batch.object.string("batch_id"), "\(batch)")
            let symbol = try #require(batch.object.objects("orders").first { $0.string("side") == "buy" }?.string("symbol"), "\(batch)")
            let lotsBefore = try await s.app.services.tax.lots(accountHash: hash, by: Self.admin)
            let schwab = try #require(s.app.services.schwab)
            let token = try await schwab.tokens.accessToken(clientID: clientID)
            let placed = try await schwab.client.placeOrder(accessToken: token, hash: hash, order: .equity(symbol: symbol, instruction: "BUY", quantity: 7))
            let fill = try #require(try await schwab.client.order(accessToken: token, hash: hash, orderID: placed).executions.first)
            // Keel's batch executes after it: Keel's purchase of the name is the newest trade in Schwab's history.
            let executed = try await s.app.request(.POST, "/api/rl/trading/execute-batch", token: s.token, json: ["batch_id": batchID, "dry_run": false])
            #expect(executed.object.string("status") == "executed", "\(executed)")
            let lotsAfterKeel = try await s.app.services.tax.lots(accountHash: hash, by: Self.admin)
            #expect(lotsAfterKeel.count > lotsBefore.count, "Keel's fills opened lots")
            #expect(try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: s.token).status == .ok)
            let direct = try await schwab.client.transactions(accessToken: token, hash: hash, start: s.app.clock.now().addingTimeInterval(-86_400),
                                                              end: s.app.clock.now()).first { $0.orderId?.value == String(placed) }
            let activity = try #require(direct?.activityId.value)

            let lots = try await s.app.services.tax.lots(accountHash: hash, by: Self.admin)
            let added = lots.filter { lot in !lotsAfterKeel.contains { $0.lotID == lot.lotID } }
            #expect(added.count == 1 && added.first?.symbol == symbol && added.first?.quantity == 7, "\(added)")
            #expect(added.first?.lotID.hasSuffix("-\(activity)") == true, "the lot is the direct purchase, not Keel's own: \(added)")
            #expect(added.first.map { abs($0.basisPerShare.doubleValue - fill.price) < 0.0001 } == true, "the lot costs what the direct buy paid")
            #expect(added.first?.acquiredOn == CivilDay(s.app.clock.now()))
            // Lots = positions, share for share.
            let positions = try await s.app.request(.GET, "/api/portfolio-health/\(clientID)", token: s.token).object.objects("accounts")
                .first { $0.string("account_hash") == hash }?.objects("positions") ?? []
            for position in positions {
                let symbol = position.string("symbol") ?? ""
                let inLots = lots.filter { $0.symbol == symbol }.reduce(Decimal(0)) { $0 + $1.quantity }
                #expect(inLots.doubleValue == position.double("quantity"), "\(symbol)")
            }
        }
    }

    @Test("concurrent syncs of an account whose lots are missing open them once (serialised by the account's lock)", arguments: TestDatabase.available)
    func concurrentSyncsOpenLotsOnce(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let hash = try #require(try await s.link(clientID: clientID).object.objects("accounts").first { $0.string("account_type") == "margin" }?
                .string("account_hash"))
            // As for shares that reached Schwab outside Keel: the positions are there, their lots are not.
            try await s.app.database.write { session in
                try await session.sql.raw("DELETE FROM tax_lots WHERE account_hash = \(bind: hash)").run()
            }
            let token = s.token
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<6 { group.addTask { try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: token).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            let lots = try await s.app.services.tax.lots(accountHash: hash, by: Self.admin)
            let held = Dictionary(grouping: lots, by: \.symbol).mapValues { $0.reduce(Decimal(0)) { $0 + $1.quantity } }
            #expect(held == ["SPY": 100, "AAPL": 50], "every share in exactly one lot: \(lots.map { "\($0.symbol) \($0.quantity) \($0.lotID)" })")
            #expect(try await s.app.count("audit_log", where: "action = 'tax.lots_from_history' AND entity_id = '\(hash)'") == 2,
                    "the link's and one of the six syncs'")
        }
    }
}
