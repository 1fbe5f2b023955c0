import Foundation
import KeelBrokers
import KeelCore
import KeelServices
import KeelStore
import KeelTestSupport
import Testing

/// The set path of execution (a cycle chunk's paper batches in three transactions) keeps every rule of the single
/// path: each order sent once, every call recorded, the books equal to the broker's, and a failure between the steps
/// left in a state reconciliation settles.
@Suite("Paper batches executed as a set")
struct PaperSetExecutionTests {
    static let staff = Principal(userID: "set-test", role: .admin, clientID: nil)

    /// Paper books that fail around the set placement: before anything is stored, or after the transaction committed.
    struct FailingLedger: PaperBrokerLedger {
        let inner: DatabasePaperBrokerLedger
        let commitFirst: Bool
        struct Lost: Error {}

        func openAccount(accountID: String, openingCash: Decimal, at time: Date) async throws {
            try await inner.openAccount(accountID: accountID, openingCash: openingCash, at: time)
        }
        func openingCash(accountID: String) async throws -> Decimal? { try await inner.openingCash(accountID: accountID) }
        func placeOrder(accountID: String, clientOrderKey: String,
                        decide: @escaping @Sendable (Decimal, [BrokerOrder]) -> BrokerOrder) async throws -> BrokerOrder? {
            try await inner.placeOrder(accountID: accountID, clientOrderKey: clientOrderKey, decide: decide)
        }
        func placeOrders(_ keysByAccount: [(accountID: String, clientOrderKeys: [String])],
                         decide: @escaping @Sendable (String, Decimal, [BrokerOrder], String) -> BrokerOrder) async throws -> [String: BrokerOrder] {
            if commitFirst { _ = try await inner.placeOrders(keysByAccount, decide: decide) }
            throw Lost()
        }
        func updateOrders(accountID: String, change: @escaping @Sendable (Decimal, [BrokerOrder]) -> [BrokerOrder]) async throws {
            try await inner.updateOrders(accountID: accountID, change: change)
        }
        func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder? {
            try await inner.order(accountID: accountID, clientOrderKey: clientOrderKey)
        }
        func orders(accountID: String) async throws -> [BrokerOrder] { try await inner.orders(accountID: accountID) }
    }

    static func scenarios(_ app: KeelTestApp, count: Int) async throws -> [TradingScenario] {
        var scenarios: [TradingScenario] = []
        for index in 0..<count { scenarios.append(try await TradingScenario.make(app, factory: Factory(seed: 7_000 + UInt64(index)))) }
        return scenarios
    }

    static func approvedBatches(_ app: KeelTestApp, _ scenarios: [TradingScenario], maxPositions: Int) async throws -> [String] {
        var ids: [String] = []
        for scenario in scenarios {
            let batch = try await scenario.rebalance(app, requireApproval: false, maxPositions: maxPositions)
            ids.append(try #require(batch.object.string("batch_id"), "\(batch)"))
        }
        return ids
    }

    /// Keel's cash and positions equal the paper broker's for every account; the reconciliation finds nothing.
    static func expectBooksAgree(_ app: KeelTestApp, _ scenarios: [TradingScenario]) async throws {
        for scenario in scenarios {
            let keel = try await app.database.read { session in
                (try await session.accounts.find(hash: scenario.accountHash)?.cash, try await session.ledger.positions(accountHash: scenario.accountHash))
            }
            let broker = try await app.services.brokers.paper.accountSnapshot(accountID: scenario.accountHash)
            #expect(keel.0 == broker.cash, "cash of \(scenario.accountHash)")
            #expect(Dictionary(uniqueKeysWithValues: keel.1.map { ($0.symbol, $0.quantity) })
                    == Dictionary(uniqueKeysWithValues: broker.positions.map { ($0.symbol, $0.quantity) }), "positions of \(scenario.accountHash)")
        }
        let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
        #expect(report.mismatches.isEmpty, "\(report.mismatches)")
    }

    @Test("a set executes as one batch at a time would: every order sent once and recorded, buys then sells, books equal; a second run sends nothing",
          arguments: TestDatabase.available)
    func setExecutesLikeSingles(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenarios = try await Self.scenarios(app, count: 4)
            for maxPositions in [8, 3] {
                let ids = try await Self.approvedBatches(app, scenarios, maxPositions: maxPositions)
                let results = try await app.services.execution.executeOnPaper(ids, by: Self.staff)
                for id in ids {
                    guard case .done(let status)? = results[id] else { Issue.record("batch \(id): \(String(describing: results[id]))"); continue }
                    #expect(status == .executed, "batch \(id) ended \(status)")
                }
                let orders = try await app.count("batch_orders", where: "batch_id IN ('\(ids.joined(separator: "','"))')")
                #expect(orders > 0)
                #expect(try await app.count("batch_orders", where: "batch_id IN ('\(ids.joined(separator: "','"))') AND status = 'filled'") == orders)
                // Again: nothing is approved any more, so nothing goes through the set path or to the broker.
                let calls = try await app.count("broker_calls", where: "operation = 'place_order'")
                let again = try await app.services.execution.executeOnPaper(ids, by: Self.staff)
                #expect(ids.allSatisfy { if case .alone? = again[$0] { true } else { false } })
                #expect(try await app.count("broker_calls", where: "operation = 'place_order'") == calls)
            }
            let placed = try await app.count("broker_calls", where: "operation = 'place_order'")
            let allOrders = try await app.count("batch_orders")
            #expect(placed == allOrders, "one recorded call per order")
            #expect(try await app.count("paper_broker_orders") == allOrders, "one broker order per order")
            #expect(try await app.count("fills", where: "side = 'sell'") > 0, "the second round sold")
            #expect(try await app.count("trades", where: "status = 'closed'") > 0, "sells closed round trips")
            try await Self.expectBooksAgree(app, scenarios)
        }
    }

    @Test("the broker's transaction fails before or after it committed: every order is of unknown fate, nothing is re-sent, reconciliation settles each once",
          arguments: TestDatabase.available)
    func brokerFailureIsReconciled(database: TestDatabase) async throws {
        for commitFirst in [false, true] {
            try await KeelTestApp.run(on: database) { app in
                let scenarios = try await Self.scenarios(app, count: 3)
                let ids = try await Self.approvedBatches(app, scenarios, maxPositions: 6)
                let context = app.services.context
                let failing = PaperBroker(ledger: FailingLedger(inner: DatabasePaperBrokerLedger(database: context.database), commitFirst: commitFirst),
                                          quoteSource: DatabaseQuoteSource(database: context.database), costs: context.settings.paperCosts, clock: context.clock)
                let execution = ExecutionService(context: context, brokers: BrokerRegistry(paper: failing))
                let results = try await execution.executeOnPaper(ids, by: Self.staff)
                for id in ids {
                    guard case .done(let status)? = results[id] else { Issue.record("batch \(id): \(String(describing: results[id]))"); continue }
                    #expect(status == .needsReconciliation)
                }
                let orders = try await app.count("batch_orders")
                #expect(try await app.count("batch_orders", where: "status = 'unknown'") == orders)
                #expect(try await app.count("broker_calls", where: "operation = 'place_order' AND outcome = 'unknown'") == orders, "every call recorded")
                #expect(try await app.count("fills") == 0)

                _ = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
                if commitFirst {
                    #expect(try await app.count("batch_orders", where: "status = 'filled'") == orders, "the broker had them: read back and posted")
                    #expect(try await app.count("trade_batches", where: "status = 'executed'") == ids.count)
                    let brokerFilled = try await app.count("paper_broker_orders", where: "status = 'filled'")
                    #expect(try await app.count("fills") == brokerFilled)
                } else {
                    #expect(try await app.count("batch_orders", where: "status = 'cancelled'") == orders, "the broker never had them")
                    #expect(try await app.count("trade_batches", where: "status = 'failed'") == ids.count)
                    #expect(try await app.count("paper_broker_orders") == 0, "nothing re-sent")
                }
                try await Self.expectBooksAgree(app, scenarios)
            }
        }
    }

    @Test("three executors racing over the same set on PostgreSQL (and a single execution of one of its batches) send each order once")
    func racingSetsSendOnce() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await KeelTestApp.run(on: .postgres, databasePoolSize: 8) { app in
            let scenarios = try await Self.scenarios(app, count: 6)
            let ids = try await Self.approvedBatches(app, scenarios, maxPositions: 6)
            let services = app.services
            let outcomes = await withTaskGroup(of: [String: Bool].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        let results = (try? await services.execution.executeOnPaper(ids, by: Self.staff)) ?? [:]
                        return results.mapValues { if case .done = $0 { true } else { false } }
                    }
                }
                group.addTask {
                    let single = try? await scenarios[0].execute(app, batchID: ids[0], dryRun: false)
                    return [ids[0]: single?.status == .ok]
                }
                return await group.reduce(into: [[String: Bool]]()) { $0.append($1) }
            }
            for id in ids {
                #expect(outcomes.filter { $0[id] == true }.count == 1, "batch \(id) executed exactly once: \(outcomes)")
            }
            let orders = try await app.count("batch_orders")
            #expect(try await app.count("broker_calls", where: "operation = 'place_order'") == orders)
            #expect(try await app.count("paper_broker_orders") == orders)
            #expect(try await app.count("trade_batches", where: "status = 'executed'") == ids.count)
            try await Self.expectBooksAgree(app, scenarios)
        }
    }
}
