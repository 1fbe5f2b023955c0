import Foundation
import KeelServices
import KeelTestSupport
import Testing

@Suite("Trading flow")
struct TradingFlowTests {
    @Test("the complete advisory cycle", arguments: TestDatabase.available)
    func completeCycle(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let factory = Factory()
            let created = try await app.request(.POST, "/api/clients/", token: token, json: factory.client())
            #expect(created.status == .ok, "\(created)")
            let clientID = try #require(created.object.int("client_id"))

            let linked = try await app.request(.POST, "/api/brokerages/accounts", token: token, json: [
                "client_id": clientID, "brokerage_id": 2, "account_number": "PA-77", "account_hash": factory.accountHash(),
                "account_type": "individual",
            ])
            #expect(linked.status == .ok, "\(linked)")
            let accountHash = try #require(linked.object.string("account_hash"))

            let predictions = try await app.request(.GET, "/api/ml-models/predict/\(clientID)", token: token)
            #expect(predictions.status == .ok)
            #expect(!predictions.array.isEmpty)

            let batch = try await app.request(.POST, "/api/rl/trading/rebalance", token: token, json: [
                "client_id": clientID, "account_hash": accountHash, "portfolio_id": 1, "max_positions": 10, "require_approval": true,
            ])
            #expect(batch.status == .ok, "\(batch)")
            let batchID = try #require(batch.object.string("batch_id"))

            let fetched = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token)
            #expect(fetched.status == .ok)
            #expect(fetched.object.string("status") == "pending_approval")

            let approved = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: token)
            #expect(approved.status == .ok)

            let executed = try await app.request(.POST, "/api/rl/trading/execute-batch", token: token, json: ["batch_id": batchID, "dry_run": true])
            #expect(executed.status == .ok, "\(executed)")
            #expect(executed.object["success"] as? Bool == true)
            #expect(executed.object["trades_executed"] != nil)

            let health = try await app.request(.GET, "/api/portfolio-health/\(clientID)", token: token)
            #expect(health.status == .ok)
            #expect((health.object.double("total_value") ?? 0) > 0)
        }
    }

    @Test("targets follow the predictions and the client's limits", arguments: TestDatabase.available)
    func predictionDrivenPositions(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            _ = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token,
                                      json: ["max_weight": 0.2, "cash_buffer": 0.05])
            let predictions = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)?portfolio_id=1", token: scenario.token)
            let positive = Set(predictions.array.filter { ($0.double("expected_return") ?? 0) > 0 }.compactMap { $0.string("symbol") })
            #expect(!positive.isEmpty)
            #expect(predictions.array.allSatisfy { $0.string("model_version") == "momentum-12-1/v1" })

            let batch = try await scenario.rebalance(app, maxPositions: 4)
            let targets = try #require(batch.object["target_weights"] as? [String: Double])
            #expect(targets.count <= 4)
            #expect(Set(targets.keys).isSubset(of: positive))
            #expect(targets.values.allSatisfy { $0 <= 0.2 + 1e-9 })
            #expect(targets.values.reduce(0, +) <= 0.95 + 1e-9)
            let orders = batch.object.objects("orders")
            #expect(!orders.isEmpty)
            #expect(orders.allSatisfy { $0.string("side") == "buy" && Set(targets.keys).contains($0.string("symbol") ?? "") })
            // Whole shares for equities, fractional lots only for crypto.
            for order in orders where !(order.string("symbol") ?? "").hasSuffix("-USD") {
                let quantity = try #require(order.double("quantity"))
                #expect(quantity == quantity.rounded())
            }
        }
    }

    @Test("an approval moves a batch from pending to approved once, by staff only", arguments: TestDatabase.available)
    func approvalWorkflow(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batch = try await scenario.rebalance(app)
            let batchID = try #require(batch.object.string("batch_id"))
            #expect(batch.object.string("status") == "pending_approval")

            // A batch waiting for approval cannot execute.
            let early = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(early.status == .conflict)

            // A client login cannot approve, even its own batch.
            let admin = try await app.loginAdmin()
            _ = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "client-user", "password": "client-password", "role": "client"])
            _ = try await app.request(.PATCH, "/api/clients/\(scenario.clientID)", token: scenario.token, json: ["user_id": "client-user"])
            let clientToken = try await app.login("client-user", password: "client-password")
            let forbidden = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: clientToken)
            #expect(forbidden.status == .forbidden)

            let approved = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token)
            #expect(approved.status == .ok)
            #expect(approved.object.string("status") == "approved")
            #expect(approved.object.string("approved_by") == "advisor")
            let again = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token)
            #expect(again.status == .conflict)

            // Without approval required, a batch is approved at creation, with its hash recorded.
            let automatic = try await scenario.rebalance(app, requireApproval: false)
            #expect(automatic.object.string("status") == "approved")
            #expect(automatic.object.string("approved_by") == "auto:advisor")
        }
    }

    @Test("a rejected batch keeps its reason and can never execute", arguments: TestDatabase.available)
    func rejection(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try #require(try await scenario.rebalance(app).object.string("batch_id"))
            let noReason = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/reject", token: scenario.token, json: [:])
            #expect(noReason.status == .unprocessableEntity)
            #expect(noReason.errorField == "reason")

            let rejected = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/reject", token: scenario.token,
                                                 json: ["reason": "too concentrated in tech"])
            #expect(rejected.status == .ok)
            #expect(rejected.object.string("status") == "rejected")
            #expect(rejected.object.string("rejection_reason") == "too concentrated in tech")
            let approve = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token)
            #expect(approve.status == .conflict)
            let execute = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(execute.status == .conflict)
            #expect(try await app.count("broker_calls") == 0)
        }
    }

    @Test("an approval window that passes expires the batch", arguments: TestDatabase.available)
    func approvalExpiry(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let pending = try #require(try await scenario.rebalance(app, maxPositions: 5).object.string("batch_id"))
            #expect(try await scenario.rebalance(app, maxPositions: 5).object.string("batch_id") == pending,
                    "the same plan, still waiting and untouched, is answered with the same batch")
            let approved = try await scenario.approvedBatch(app)
            #expect(try await app.request(.GET, "/api/rl/trading/batches/\(pending)", token: scenario.token).object.string("status") == "rejected",
                    "a newer batch supersedes the older one of the same account")

            app.clock.advance(by: 25 * 3600)
            let token = try await app.login() // the morning's token has expired too
            let fetched = try await app.request(.GET, "/api/rl/trading/batches/\(approved)", token: token)
            #expect(fetched.object.string("status") == "expired")
            let execute = try await app.request(.POST, "/api/rl/trading/execute-batch", token: token, json: ["batch_id": approved, "dry_run": false])
            #expect(execute.status == .conflict)
            #expect(execute.errorCode == "approval_expired")
            #expect(try await app.count("broker_calls") == 0)
        }
    }

    @Test("a dry run returns the would-be trades and changes nothing", arguments: TestDatabase.available)
    func dryRunChangesNothing(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let tables = ["fills", "positions", "trades", "broker_calls", "paper_broker_orders"]
            var before: [String: Int] = [:]
            for table in tables { before[table] = try await app.count(table) }

            let dry = try await scenario.execute(app, batchID: batchID, dryRun: true)
            #expect(dry.status == .ok)
            #expect(dry.object["success"] as? Bool == true)
            #expect(dry.object["dry_run"] as? Bool == true)
            let trades = dry.object.objects("trades")
            #expect(!trades.isEmpty)
            #expect(dry.object.int("trades_executed") == trades.count)
            #expect((dry.object.double("cash_after") ?? 1e12) < 100_000)

            for table in tables { #expect(try await app.count(table) == before[table], "\(table) changed") }
            let health = try await scenario.health(app)
            #expect(health.object.double("cash") == 100_000)
            #expect(health.object.objects("positions").isEmpty)
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token)
            #expect(batch.object.string("status") == "approved")
            #expect(batch.object.objects("orders").allSatisfy { $0.string("status") == "planned" })
        }
    }

    @Test("paper execution fills orders and updates cash, positions and trades", arguments: TestDatabase.available)
    func paperExecution(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let result = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(result.status == .ok, "\(result)")
            #expect(result.object["success"] as? Bool == true)
            #expect(result.object.string("status") == "executed")
            let trades = result.object.objects("trades")
            #expect(result.object.int("trades_executed") == trades.count)

            // Cash moved by exactly the filled notional plus commission.
            let spent = trades.reduce(0.0) { $0 + ($1.double("notional") ?? 0) + ($1.double("commission") ?? 0) }
            let cashAfter = try #require(result.object.double("cash_after"))
            #expect(abs(100_000 - spent - cashAfter) < 0.011)

            let health = try await scenario.health(app)
            let positions = health.object.objects("positions")
            #expect(positions.count == trades.count)
            for trade in trades {
                let position = positions.first { $0.string("symbol") == trade.string("symbol") }
                #expect(position?.double("quantity") == trade.double("quantity"))
            }
            #expect(try await app.count("fills") == trades.count)
            #expect(try await app.count("trades", where: "status = 'open'") == trades.count)
            #expect(try await app.count("broker_calls", where: "operation = 'place_order'") == trades.count)
            #expect(try await app.count("audit_log", where: "action = 'batch.execute.finish'") == 1)
        }
    }

    @Test("a failing pre-trade check blocks execution and sends nothing", arguments: TestDatabase.available)
    func preTradeChecksBlock(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let admin = try await app.loginAdmin()
            _ = try await app.request(.POST, "/api/system/kill-switch", token: admin, json: ["engaged": true, "reason": "test"])

            let blocked = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(blocked.status == .conflict)
            #expect(blocked.errorCode == "kill_switch_engaged")
            #expect((blocked.object["error"] as? [String: Any])?["message"] as? String != nil)
            #expect(try await app.count("broker_calls") == 0)
            #expect(try await app.count("paper_broker_orders") == 0)
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token)
            #expect(batch.object.string("status") == "approved")
            #expect(try await app.count("audit_log", where: "action = 'batch.execute.blocked'") == 1)

            _ = try await app.request(.POST, "/api/system/kill-switch", token: admin, json: ["engaged": false])
            let released = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(released.status == .ok)
        }
    }

    @Test("an order above the notional limit is refused before any broker call", arguments: TestDatabase.available)
    func orderNotionalLimit(database: TestDatabase) async throws {
        var settings = ServiceSettings()
        settings.riskLimits.maxOrderNotional = 5_000
        try await KeelTestApp.run(on: database, settings: settings) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let blocked = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(blocked.status == .unprocessableEntity)
            #expect(blocked.errorCode == "risk_check_failed")
            #expect(try await app.count("broker_calls") == 0)
        }
    }

    @Test("two concurrent executions: one runs, the other gets 409, no order twice", arguments: TestDatabase.available)
    func concurrentExecution(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<2 { group.addTask { try await scenario.execute(app, batchID: batchID, dryRun: false).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 409])
            let orders = try await app.count("batch_orders", where: "batch_id = '\(batchID)'")
            #expect(try await app.count("paper_broker_orders") == orders)
            #expect(try await app.count("broker_calls", where: "operation = 'place_order'") == orders)
            #expect(try await app.count("fills") == orders)
        }
    }

    @Test("portfolio health after execution reflects the new holdings", arguments: TestDatabase.available)
    func portfolioStateAfterExecution(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            _ = try await scenario.execute(app, batchID: batchID, dryRun: false)
            let health = try await scenario.health(app)
            let total = try #require(health.object.double("total_value"))
            let cash = try #require(health.object.double("cash"))
            let positions = health.object.objects("positions")
            let invested = positions.reduce(0.0) { $0 + ($1.double("market_value") ?? 0) }
            #expect(abs(total - cash - invested) < 0.05)
            #expect(abs(total - 100_000) < 1_000, "slippage only moves the value a little")
            #expect(positions.allSatisfy { $0["target_weight"] != nil && $0["drift"] != nil })
            #expect(health.object["trailing_volatility"] is NSNumber)
            #expect((health.object["last_batch"] as? [String: Any])?.string("status") == "executed")

            // Rebalancing right away changes little: everything is within the drift threshold.
            let again = try await scenario.rebalance(app)
            #expect(again.status == .ok)
            #expect(again.object.objects("orders").count < positions.count)
        }
    }

    @Test("switching to the defensive portfolio sells the old holdings and closes trades", arguments: TestDatabase.available)
    func sellsCloseTrades(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let first = try await scenario.approvedBatch(app)
            _ = try await scenario.execute(app, batchID: first, dryRun: false)
            let growth = try await scenario.rebalance(app, portfolioID: 3)
            let orders = growth.object.objects("orders")
            #expect(orders.contains { $0.string("side") == "sell" })
            let sellsFirst = orders.firstIndex { $0.string("side") == "buy" } ?? orders.count
            #expect(orders[..<sellsFirst].allSatisfy { $0.string("side") == "sell" }, "sells are sent before buys")
            let batchID = try #require(growth.object.string("batch_id"))
            _ = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: scenario.token)
            let result = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(result.status == .ok, "\(result)")
            #expect(try await app.count("trades", where: "status = 'closed' AND exit_price IS NOT NULL AND profit_loss IS NOT NULL") > 0)
            let health = try await scenario.health(app)
            #expect(health.object["realized_pnl"] is NSNumber)
        }
    }

    @Test("an execution outside market hours is working, not failed: success, status working, and when the orders are expected to fill; they fill at the open",
          arguments: TestDatabase.available)
    func outsideMarketHoursIsWorking(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            // Monday 1 June after the close (the stored bars end that day): equity orders wait for Tuesday's open, 13:30 UTC.
            app.clock.set(ISO8601DateFormatter().date(from: "2026-06-01T21:00:00Z")!)
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            let result = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(result.status == .ok, "\(result)")
            #expect(result.object.string("status") == "working", "\(result)")
            #expect(result.object["success"] as? Bool == true, "nothing failed: \(result)")
            let note = try #require(result.object.string("note"), "\(result)")
            #expect(note.contains("equity 2026-06-02T13:30:00Z"), "\(note)")
            #expect(try await app.count("batch_orders", where: "batch_id = '\(batchID)' AND status = 'working'") > 0)

            // Tuesday after the open: the reconciliation fills them and settles the batch.
            app.clock.set(ISO8601DateFormatter().date(from: "2026-06-02T14:00:00Z")!)
            _ = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: try await app.login()).object
            #expect(batch.string("status") == "executed", "\(batch)")
        }
    }
}
