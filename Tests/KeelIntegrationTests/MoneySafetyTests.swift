import Foundation
@_spi(RawSQL) import KeelStore
import KeelBrokers
import KeelCore
import KeelServices
import KeelTestSupport
import Testing

/// DESIGN.md rule 7 under fire: per account one open batch and one execution at a time, pre-trade checks
/// against the books as they are inside the lock, lossless ledger postings, a paper broker that never
/// overdraws, and reconciliation differences that halt the account.
@Suite("Money safety")
struct MoneySafetyTests {
    static let openStatuses = "status IN ('pending_approval', 'approved', 'executing', 'working', 'needs_reconciliation')"

    static func openBatches(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> Int {
        try await app.count("trade_batches", where: "account_hash = '\(scenario.accountHash)' AND \(openStatuses)")
    }

    /// Keel's cash and the paper broker's, and the largest position weight at the latest prices.
    static func books(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> (keel: Decimal, broker: Decimal, maxWeight: Double) {
        let health = try await app.request(.GET, "/api/portfolio-health/\(scenario.clientID)", token: scenario.token).object
        let weights = health.objects("positions").compactMap { $0.double("weight") }
        let keel = try await app.database.read { try await $0.accounts.find(hash: scenario.accountHash)?.cash } ?? -1
        let broker = try await app.services.brokers.paper.accountSnapshot(accountID: scenario.accountHash).cash
        return (keel, broker, weights.max() ?? 0)
    }

    @Test("N concurrent rebalances of one account leave exactly one open batch", arguments: TestDatabase.available)
    func concurrentRebalancesLeaveOneOpenBatch(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app)
            let statuses = await withTaskGroup(of: UInt.self) { group in
                for _ in 0..<8 { group.addTask { (try? await scenario.rebalance(app, requireApproval: false).status.code) ?? 0 } }
                return await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 409 }, "\(statuses)")
            #expect(try await Self.openBatches(app, scenario) == 1)

            // Different plans racing (the supersede path): still one open batch after every round.
            for round in 0..<5 {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try? await scenario.rebalance(app, requireApproval: round % 2 == 0, maxPositions: 4) }
                    group.addTask { _ = try? await scenario.rebalance(app, requireApproval: round % 2 == 0, maxPositions: 9) }
                }
                #expect(try await Self.openBatches(app, scenario) == 1, "round \(round)")
            }
        }
    }

    @Test("concurrent withdrawals never overdraw: of eight 30,000 withdrawals on 100,000 of cash exactly three land, and both books agree",
          arguments: TestDatabase.available)
    func concurrentWithdrawalsNeverOverdraw(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app)
            let path = "/api/brokerages/accounts/\(scenario.accountHash)/cash-flows"
            let token = scenario.token
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<8 { group.addTask { try await app.request(.POST, path, token: token, json: ["amount": -30_000]).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 3 && statuses.filter { $0 == 409 }.count == 5, "\(statuses)")
            let cash = try await app.database.read { try await $0.accounts.find(hash: scenario.accountHash)?.cash }
            let paperCash = try await app.database.read { try await $0.paperBroker.openingCash(accountID: scenario.accountHash) }
            #expect(cash == 10_000 && paperCash == 10_000, "Keel \(String(describing: cash)), paper broker \(String(describing: paperCash))")
            #expect(try await app.count("account_cash_flows", where: "account_hash = '\(scenario.accountHash)'") == 3)
        }
    }

    @Test("executing every batch an account was handed, all at once, trades once and keeps the books equal", arguments: TestDatabase.available)
    func concurrentExecutionsTradeOnce(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app)
            let batchIDs = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<8 { group.addTask { try? await scenario.rebalance(app, requireApproval: false).object.string("batch_id") } }
                return await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
            }
            #expect(!batchIDs.isEmpty)
            // Every handed-out id twice, at once.
            let results = await withTaskGroup(of: (String, UInt, String).self) { group in
                for id in batchIDs + batchIDs {
                    group.addTask {
                        let response = try? await scenario.execute(app, batchID: id, dryRun: false)
                        return (id, response?.status.code ?? 0, String(response?.body.prefix(300) ?? "no response"))
                    }
                }
                return await group.reduce(into: [(String, UInt, String)]()) { $0.append($1) }
            }
            let executed = Set(results.filter { $0.1 == 200 }.map(\.0))
            #expect(executed.count == 1, "exactly one batch executes: \(results)")
            #expect(results.allSatisfy { $0.1 == 200 || $0.1 == 409 }, "\(results.filter { $0.1 != 200 && $0.1 != 409 })")
            let batchID = try #require(executed.first)
            let orders = try await app.count("batch_orders", where: "batch_id = '\(batchID)'")
            #expect(try await app.count("broker_calls", where: "operation = 'place_order' AND account_hash = '\(scenario.accountHash)'") == orders)
            #expect(try await app.count("paper_broker_orders", where: "account_id = '\(scenario.accountHash)' AND status = 'filled'")
                    == app.count("fills", where: "account_hash = '\(scenario.accountHash)'"))

            let books = try await Self.books(app, scenario)
            #expect(books.keel == books.broker, "Keel's cash equals the broker's")
            #expect(books.keel >= 0 && books.broker >= 0)
            #expect(books.maxWeight <= 0.25 * 1.05, "no position above the 25% maximum (plus the price collar): \(books.maxWeight)")
            let reconcile = try await app.request(.POST, "/api/system/reconcile", token: scenario.token)
            #expect(reconcile.object.objects("mismatches").isEmpty, "\(reconcile)")
        }
    }

    @Test("rebalance-and-execute loops racing on one account never overdraw or double-fill", arguments: TestDatabase.available)
    func racingLoopsKeepBooksEqual(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app, startingCash: 50_000)
            // Every answer is kept: a loop that lost a race gets a 409, never a 5xx or no answer at all.
            let answers = await withTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var answers: [String] = []
                        for round in 0..<3 {
                            do {
                                let batch = try await scenario.rebalance(app, requireApproval: false, maxPositions: 3 + (worker + round) % 6)
                                answers.append("rebalance \(batch.status.code)")
                                guard let id = batch.object.string("batch_id") else { continue }
                                answers.append("execute \(try await scenario.execute(app, batchID: id, dryRun: false).status.code)")
                            } catch {
                                answers.append("error \(error)")
                            }
                        }
                        return answers
                    }
                }
                return await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(answers.allSatisfy { $0.hasSuffix(" 200") || $0.hasSuffix(" 409") }, "\(answers)")
            #expect(answers.contains("execute 200"), "at least one batch executed: \(answers)")
            #expect(try await app.count("fills") > 0, "orders filled")
            let books = try await Self.books(app, scenario)
            #expect(books.keel == books.broker)
            #expect(books.keel >= 0)
            #expect(books.maxWeight <= 0.25 * 1.05, "\(books.maxWeight)")
            #expect(try await app.count("fills") == app.count("paper_broker_orders", where: "status = 'filled'"))
            #expect(try await app.count("batch_orders", where: "status IN ('unknown', 'submitting')") == 0)
            let reconcile = try await app.request(.POST, "/api/system/reconcile", token: scenario.token)
            #expect(reconcile.object.objects("mismatches").isEmpty, "\(reconcile)")
        }
    }

    @Test("many accounts executing at once: reconciliation finds nothing", arguments: TestDatabase.available)
    func manyAccountsReconcileClean(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            var scenarios: [TradingScenario] = []
            for index in 0..<5 { scenarios.append(try await TradingScenario.make(app, factory: Factory(seed: UInt64(7_000 + index)))) }
            let outcomes = await withTaskGroup(of: UInt.self) { group in
                for scenario in scenarios {
                    group.addTask {
                        guard let id = try? await scenario.rebalance(app, requireApproval: false).object.string("batch_id") else { return 0 }
                        return (try? await scenario.execute(app, batchID: id, dryRun: false).status.code) ?? 0
                    }
                }
                return await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == 200 }, "\(outcomes)")
            let reconcile = try await app.request(.POST, "/api/system/reconcile", token: scenarios[0].token)
            #expect(reconcile.status == .ok)
            #expect(reconcile.object.objects("mismatches").isEmpty, "\(reconcile)")
            for scenario in scenarios {
                let books = try await Self.books(app, scenario)
                #expect(books.keel == books.broker)
            }
        }
    }

    @Test("a reconciliation difference raises an alert and halts new orders until an admin resolves it", arguments: TestDatabase.available)
    func mismatchHaltsTheAccount(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let approved = try await scenario.approvedBatch(app)
            // Keel's books drift from the broker's (a lost update, an operator's hand edit).
            try await app.database.write { session in
                try await session.sql.raw("UPDATE brokerage_accounts SET cash = 123456.78 WHERE account_hash = \(bind: scenario.accountHash)").run()
            }
            let reconcile = try await app.request(.POST, "/api/system/reconcile", token: scenario.token)
            #expect(reconcile.object.objects("mismatches").contains { $0.string("account_hash") == scenario.accountHash }, "\(reconcile)")

            let alerts = try await app.request(.GET, "/api/alerts?client_id=\(scenario.clientID)", token: scenario.token)
            #expect(alerts.array.contains { $0.string("kind") == "reconciliation_mismatch" && $0.string("severity") == "critical" }, "\(alerts)")
            let account = try await app.request(.GET, "/api/brokerages/accounts/\(scenario.accountHash)", token: scenario.token)
            #expect(account.object.string("halted_reason")?.contains("reconciliation") == true, "\(account)")

            let execute = try await scenario.execute(app, batchID: approved, dryRun: false)
            #expect(execute.status == .conflict && execute.errorCode == "account_halted", "\(execute)")
            let rebalance = try await scenario.rebalance(app)
            #expect(rebalance.status == .conflict && rebalance.errorCode == "account_halted", "\(rebalance)")
            #expect(try await app.count("broker_calls") == 0, "nothing reached the broker while halted")

            let resolvePath = "/api/system/reconcile/accounts/\(scenario.accountHash)/resolve"
            #expect(try await app.request(.POST, resolvePath, token: scenario.token).status == .forbidden, "advisors cannot lift a halt")
            let admin = try await app.loginAdmin()
            let refused = try await app.request(.POST, resolvePath, token: admin, json: [:])
            #expect(refused.status == .conflict && refused.errorCode == "books_still_differ", "\(refused)")
            let resolved = try await app.request(.POST, resolvePath, token: admin, json: ["adopt_broker_books": true])
            #expect(resolved.status == .ok && (resolved.object["halted_reason"] == nil || resolved.object["halted_reason"] is NSNull), "\(resolved)")
            #expect(resolved.object.double("cash") == 100_000)

            let openAlerts = try await app.request(.GET, "/api/alerts?client_id=\(scenario.clientID)", token: admin).array
            #expect(!openAlerts.contains { $0.string("kind") == "reconciliation_mismatch" && ($0["resolved_at"] == nil || $0["resolved_at"] is NSNull) })
            let fresh = try await scenario.rebalance(app, requireApproval: false)
            #expect(fresh.status == .ok, "\(fresh)")
            let done = try await scenario.execute(app, batchID: try #require(fresh.object.string("batch_id")), dryRun: false)
            #expect(done.status == .ok, "\(done)")
        }
    }

    @Test("the paper broker rejects orders its cash cannot cover, even when they arrive together", arguments: TestDatabase.available)
    func paperBrokerNeverOverdraws(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app, startingCash: 10_000)
            let broker = app.services.brokers.paper
            let symbol = "AAPL"
            let price = try #require(try await broker.quotes(symbols: [symbol], accountID: scenario.accountHash)[symbol]?.last)
            // Each order spends about 30% of the cash: at most three can fill.
            let quantity = max(1, (Decimal(3_000) / price).rounded(scale: 0))
            let orders = try await withThrowingTaskGroup(of: BrokerOrderStatus.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await broker.placeOrder(BrokerOrderRequest(accountID: scenario.accountHash, clientOrderKey: "race-\(index)", symbol: symbol,
                                                                       side: .buy, quantity: quantity)).status
                    }
                }
                return try await group.reduce(into: [BrokerOrderStatus]()) { $0.append($1) }
            }
            let filled = orders.filter { $0 == .filled }.count
            #expect(filled >= 1 && filled <= 3, "price \(price), quantity \(quantity): \(orders)")
            #expect(orders.filter { $0 == .rejected }.count == 10 - filled)
            let snapshot = try await broker.accountSnapshot(accountID: scenario.accountHash)
            #expect(snapshot.cash >= 0, "the paper broker's cash never goes negative: \(snapshot.cash)")
        }
    }
}
