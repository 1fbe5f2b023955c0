import Foundation
@_spi(RawSQL) import KeelStore
import KeelServices
import KeelTestSupport
import Testing

@Suite("Goal trading flow")
struct GoalTradingFlowTests {
    func scenario(_ app: KeelTestApp, _ name: String) async throws -> GoalScenario {
        GoalScenario(token: try await app.login(), userID: "test_user_\(name)_\(UInt32.random(in: 0...UInt32.max))")
    }

    @Test("the complete flow: more risk at 0%, a trade is recorded, normal risk at 40%, less at 90%", arguments: TestDatabase.available)
    func completeGoalTradingFlow(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "flow")
            let goal = try await user.createGoal(app)
            let id = try #require(goal.string("goal_id"))
            #expect(goal.string("status") == "active" && goal.double("progress_pct") == 0)
            let start = try await user.goal(app, id, "/sizing").object
            #expect(start.double("factor") ?? 0 > 1, "behind at 0%: more risk \(start)")
            #expect(try await user.goal(app, id, "/strategy").object.string("strategy") == "momentum")

            // A trade opens (0.02 BTC, fractional) and closes +200 on a 500 target: 40%.
            let opened = try await app.request(.POST, "/api/trades", token: user.token, json: [
                "user_id": user.userID, "symbol": "BTCUSDT", "side": "LONG", "quantity": 0.02, "entry_price": 60_000])
            #expect(opened.status == .ok && opened.object.string("status") == "open", "\(opened)")
            let tradeID = try #require(opened.object.string("trade_id"))
            let closed = try await app.request(.POST, "/api/trades/\(tradeID)/close", token: user.token, json: ["exit_price": 70_000])
            #expect(closed.status == .ok && closed.object.double("profit_loss") == 200, "\(closed)")
            let trades = try await app.request(.GET, "/api/trades?user_id=\(user.userID)", token: user.token).array
            #expect(trades.count == 1 && trades[0].string("side") == "LONG" && trades[0].double("quantity") == 0.02)

            let midway = try await user.goal(app, id).object
            #expect(abs((midway.double("progress_pct") ?? 0) - 40) < 1e-9, "\(midway)")
            #expect(abs((midway.double("current_value") ?? 0) - 2) < 1e-9, "+2% of the 5% target")
            let normal = try await user.goal(app, id, "/sizing").object
            #expect(abs((normal.double("factor") ?? 0) - 1) < 1e-9, "on track: normal risk \(normal)")

            // +250 more: 450 of 500, 90%: less risk and a conservative strategy.
            try await user.closedTrade(app, profit: 250)
            let near = try await user.goal(app, id, "/sizing").object
            #expect(abs((near.double("progress_pct") ?? 0) - 90) < 1e-9)
            #expect(near.double("factor") ?? 2 < 1, "near the goal: less risk \(near)")
            #expect(try await user.goal(app, id, "/strategy").object.string("strategy") == "mean_reversion")

            let adjustments = try await user.goal(app, id, "/adjustments").array
            #expect(adjustments.count >= 3, "created, normalised, reduced")
            #expect(adjustments.allSatisfy { !($0.string("reason") ?? "").isEmpty })
            #expect(adjustments.last?.double("old_factor") == 1 && adjustments.last?.double("new_factor") == near.double("factor"))
            // The goal's strategy instance followed.
            let instances = try await app.request(.GET, "/api/strategy-instances?user_id=\(user.userID)", token: user.token).array
            #expect(instances.first { $0.string("goal_id") == id }?.string("strategy_type") == "mean_reversion")
        }
    }

    @Test("the strategy follows progress: momentum at 10%, balanced at 50%, mean_reversion at 85%", arguments: TestDatabase.available)
    func strategySelectionByProgress(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            for (progress, expected) in [(0.10, "momentum"), (0.50, "balanced"), (0.85, "mean_reversion")] {
                let user = try await scenario(app, "strategy")
                let id = try #require(try await user.createGoal(app).string("goal_id"))
                try await user.closedTrade(app, profit: 500 * progress)
                let choice = try await user.goal(app, id, "/strategy").object
                #expect(choice.string("strategy") == expected, "\(progress): \(choice)")
                #expect(!(choice.string("reason") ?? "").isEmpty)
                let instance = try #require(choice["strategy_instance"] as? [String: Any])
                #expect(instance.string("strategy_type") == expected && instance.string("selection_reason") == choice.string("reason"))
            }
        }
    }

    @Test("risk adjusts with progress: >= 1 at 0 and 25%, 1 at 50%, <= 1 at 80 and 95%, logged each time", arguments: TestDatabase.available)
    func riskAdjustmentAcrossProgress(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "risk")
            let id = try #require(try await user.createGoal(app).string("goal_id"))
            var factors: [Double] = []
            var reached = 0.0
            for progress in [0.0, 0.25, 0.5, 0.8, 0.95] {
                if progress > reached { try await user.closedTrade(app, profit: 500 * (progress - reached)) }
                reached = progress
                let sizing = try await user.goal(app, id, "/sizing").object
                #expect(abs((sizing.double("progress_pct") ?? -1) - progress * 100) < 1e-6)
                factors.append(try #require(sizing.double("factor")))
            }
            #expect(factors[0] >= 1 && factors[1] >= 1, "\(factors)")
            #expect(abs(factors[2] - 1) < 1e-9, "\(factors)")
            #expect(factors[3] <= 1 && factors[4] <= 1, "\(factors)")
            #expect(zip(factors, factors.dropFirst()).allSatisfy { $0 >= $1 }, "never more risk as progress grows: \(factors)")
            #expect(factors.allSatisfy { $0 >= 0 && $0 <= 1.5 }, "inside the default maximum factor")
            let log = try await user.goal(app, id, "/adjustments").array
            let changes = log.compactMap { entry -> (Double?, Double)? in entry.double("new_factor").map { (entry.double("old_factor"), $0) } }
            #expect(changes.map(\.1) == factors, "every factor change is logged, in order: \(log.map { "\($0["old_factor"] ?? "-")->\($0["new_factor"] ?? "-") \($0["trigger"] ?? "") \($0["reason"] ?? "")" })")
            #expect(changes.dropFirst().allSatisfy { $0.0 != nil }, "with its old value")
        }
    }

    @Test("progress history keeps five snapshots from 0% to 100% in order", arguments: TestDatabase.available)
    func progressHistoryIsChronological(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "history")
            let id = try #require(try await user.createGoal(app).string("goal_id"))
            for _ in 0..<4 {
                app.clock.advance(by: 3600)
                try await user.closedTrade(app, profit: 125)
            }
            let history = try await user.goal(app, id, "/history").array
            #expect(history.compactMap { $0.double("progress_pct") } == [0, 25, 50, 75, 100], "\(history)")
            let times = history.compactMap { $0.string("recorded_at") }
            #expect(times.count == 5 && times == times.sorted())
            #expect(history.last?.string("status") == "achieved" && history.last?.double("sizing_factor") == 0, "no new risk once reached")
            let goal = try await user.goal(app, id).object
            #expect(goal.string("status") == "achieved" && goal.string("achieved_at") != nil)
            // Cleanup by user id, as the goal-trading side does it, works on the schema (history cascades).
            try await app.database.write { try await $0.sql.raw("DELETE FROM financial_goals WHERE user_id LIKE 'test_user_%'").run() }
            #expect(try await app.count("goal_progress_history", where: "goal_id = '\(id)'") == 0)
        }
    }

    @Test("several goals combine by priority, then the most conservative; a breached drawdown limit stops new risk", arguments: TestDatabase.available)
    func severalGoalsAndAConflict(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "multi")
            let monthly = try #require(try await user.createGoal(app, ["priority": 1]).string("goal_id"))
            let profit = try #require(try await user.createGoal(app, ["goal_type": "profit_target", "target_value": 1_000,
                                                                        "period_end": "2026-12-31", "priority": 2]).string("goal_id"))
            // +400: the monthly goal (500) is at 80%, the profit goal (1,000) at 40%.
            try await user.closedTrade(app, profit: 400)
            let monthlyFactor = try #require(try await user.goal(app, monthly, "/sizing").object.double("factor"))
            let profitFactor = try #require(try await user.goal(app, profit, "/sizing").object.double("factor"))
            #expect(monthlyFactor < profitFactor)
            var combined = try await app.request(.GET, "/api/goals/sizing?user_id=\(user.userID)", token: user.token).object
            #expect(combined.double("factor") == monthlyFactor, "priority 1 decides: \(combined)")
            #expect((combined["conflicts"] as? [String])?.contains { $0.contains(profit) } == true, "the overridden goal is reported")

            // Equal priority: the most conservative factor wins.
            _ = try await app.request(.PATCH, "/api/goals/\(profit)", token: user.token, json: ["priority": 1])
            combined = try await app.request(.GET, "/api/goals/sizing?user_id=\(user.userID)", token: user.token).object
            #expect(combined.double("factor") == min(monthlyFactor, profitFactor))

            // A drawdown limit of 10% on the same capital: a 1,500 loss from the 10,400 peak breaches it.
            let limit = try #require(try await user.createGoal(app, ["goal_type": "max_drawdown", "target_value": 10, "priority": 5]).string("goal_id"))
            try await user.closedTrade(app, profit: -1_500)
            let breached = try await user.goal(app, limit).object
            #expect(breached.string("status") == "failed" && breached.double("sizing_factor") == 0, "\(breached)")
            combined = try await app.request(.GET, "/api/goals/sizing?user_id=\(user.userID)", token: user.token).object
            #expect(combined.double("factor") == 0, "the drawdown limit always wins: \(combined)")
            #expect((combined["conflicts"] as? [String])?.contains { $0.contains("drawdown") } == true)
            let sized = try await app.request(.POST, "/api/trades/size", token: user.token, json: [
                "user_id": user.userID, "symbol": "AAPL", "base_quantity": 100, "price": 150])
            #expect(sized.status == .ok && sized.object.double("quantity") == 0, "no new risk: \(sized)")
            let logged = try await user.goal(app, monthly, "/adjustments").array
            #expect(logged.contains { ($0.string("conflicts") ?? "").contains("drawdown") }, "conflicts are in the log too")
        }
    }

    @Test("an unreachable goal goes at_risk and never raises risk", arguments: TestDatabase.available)
    func unreachableGoalGoesAtRisk(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "unreachable")
            // +30% in three days is ~9% a day: beyond the 1%-a-day feasibility bound.
            let goal = try await user.createGoal(app, ["target_value": 30, "period_end": "2026-06-04"])
            let id = try #require(goal.string("goal_id"))
            #expect(goal.string("status") == "at_risk", "\(goal)")
            #expect(goal.double("sizing_factor") ?? 2 <= 1, "behind, but no doubling down")
            try await user.closedTrade(app, profit: -300)
            let worse = try await user.goal(app, id, "/sizing").object
            #expect(worse.string("state") == "at_risk" && worse.double("factor") ?? 2 <= 1, "\(worse)")
            let alerts = try await user.goal(app, id, "/alerts").array
            #expect(alerts.filter { $0.string("kind") == "goal_at_risk" }.count == 1, "one alert while it stays at risk: \(alerts)")
            // After the period it has failed and takes no risk.
            app.clock.set(ISO8601DateFormatter().date(from: "2026-06-05T00:00:00Z")!)
            _ = try await app.services.goals.reevaluateAll(trigger: "scheduled")
            let later = GoalScenario(token: try await app.login(), userID: user.userID)
            let ended = try await later.goal(app, id).object
            #expect(ended.string("status") == "failed" && ended.double("sizing_factor") == 0, "\(ended)")
        }
    }

    @Test("milestone alerts reach a webhook on loopback, retried after a failure", arguments: TestDatabase.available)
    func milestoneAlertsReachTheWebhook(database: TestDatabase) async throws {
        let receiver = try await WebhookReceiver.start(failFirst: 1)
        var settings = ServiceSettings()
        settings.alertWebhookURL = receiver.url
        settings.webhookRetryDelays = [0.05, 0.1, 0.2, 0.5]
        do {
            try await KeelTestApp.run(on: database, settings: settings) { app in
                let user = try await scenario(app, "alerts")
                let id = try #require(try await user.createGoal(app).string("goal_id"))
                for _ in 0..<4 { try await user.closedTrade(app, profit: 125) }
                let expected: Set<String> = ["goal_milestone_25", "goal_milestone_50", "goal_milestone_75", "goal_milestone_100", "goal_achieved"]
                // The 503 is retried when its delay has passed on the test clock and a delivery run comes round.
                try await app.eventually("every alert delivered", timeout: 60) {
                    if expected.isSubset(of: Set(receiver.received.compactMap { $0["kind"] as? String })) { return true }
                    app.clock.advance(by: 1)
                    await app.services.webhooks?.kick()
                    try await Task.sleep(nanoseconds: 100_000_000)
                    return false
                }
                let received = receiver.received.filter { $0["goal_id"] as? String == id }
                #expect(Set(received.compactMap { $0["kind"] as? String }) == expected, "each alert once: \(received)")
                #expect(received.allSatisfy { $0["user_id"] as? String == user.userID && $0["alert_id"] != nil })
                #expect(receiver.requestCount == received.count + 1, "the 503 was retried")
                let stored = try await user.goal(app, id, "/alerts").array
                #expect(Set(stored.compactMap { $0.string("kind") }) == expected)
                let admin = try await app.loginAdmin()
                let deliveries = try await app.request(.GET, "/api/alerts/deliveries", token: admin).array
                #expect(deliveries.count == expected.count && deliveries.allSatisfy { $0.string("status") == "delivered" }, "\(deliveries)")
                #expect(deliveries.contains { ($0.int("attempts") ?? 0) >= 2 })
            }
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("concurrent trades from several strategies leave a consistent progress", arguments: TestDatabase.available)
    func concurrentTradesKeepProgressConsistent(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let user = try await scenario(app, "concurrent")
            let id = try #require(try await user.createGoal(app, ["target_value": 10]).string("goal_id"))
            var strategies: [String] = []
            for kind in ["momentum", "breakout", "mean_reversion"] {
                let created = try await app.request(.POST, "/api/strategy-instances", token: user.token, json: [
                    "user_id": user.userID, "strategy_type": kind, "parameters": ["lookback": 20]])
                #expect(created.status == .ok, "\(created)")
                strategies.append(try #require(created.object.string("strategy_id")))
            }
            let strategyIDs = strategies
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<30 {
                    group.addTask { try await user.closedTrade(app, profit: 10, strategyID: strategyIDs[index % 3]) }
                }
                try await group.waitForAll()
            }
            // 30 x 10 = 300 of a 1,000 target.
            let goal = try await user.goal(app, id).object
            #expect(abs((goal.double("progress_pct") ?? 0) - 30) < 1e-9, "no lost update: \(goal)")
            let history = try await user.goal(app, id, "/history").array.compactMap { $0.double("progress_pct") }
            #expect(history.last == 30 && history == history.sorted(), "each snapshot saw every earlier trade: \(history)")
            #expect(history.count == 31, "one snapshot per trade after the first")
            for strategyID in strategyIDs {
                let trades = try await app.request(.GET, "/api/trades?user_id=\(user.userID)&strategy_id=\(strategyID)", token: user.token).array
                #expect(trades.count == 10)
            }
        }
    }

    @Test("goals drive real rebalances: aggressive and concentrated when behind, scaled down near the goal", arguments: TestDatabase.available)
    func goalsDriveRebalancing(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let trading = try await TradingScenario.make(app)
            let plain = try await trading.rebalance(app).object
            #expect(plain["goal"] == nil || plain["goal"] is NSNull)

            // An account goal just started: 0% progress, factor 1.5, momentum, 10 / 1.5 = 7 positions at most.
            let goal = try await app.request(.POST, "/api/goals", token: trading.token, json: [
                "user_id": "client:\(trading.clientID)", "account_hash": trading.accountHash, "goal_type": "monthly_return", "target_value": 5])
            #expect(goal.status == .ok && goal.object.double("starting_value") ?? 0 > 99_000, "\(goal)")
            let behind = try await trading.rebalance(app).object
            #expect(behind.string("strategy") == "momentum", "\(behind)")
            let behindWeights = behind["target_weights"] as? [String: Double] ?? [:]
            #expect(!behindWeights.isEmpty && behindWeights.count <= 7, "\(behindWeights)")
            let steering = try #require(behind["goal"] as? [String: Any])
            #expect(steering.double("factor") == 1.5)
            #expect(behindWeights.values.allSatisfy { $0 <= 0.25 + 1e-9 }, "the client's max weight still caps every position")

            // Cancel it; a user goal of the client's trading user at 90% steers instead: factor 0.5, mean reversion.
            let goalID = try #require(goal.object.string("goal_id"))
            #expect(try await app.request(.POST, "/api/goals/\(goalID)/cancel", token: trading.token).object.string("status") == "cancelled")
            let near = GoalScenario(token: trading.token, userID: "client:\(trading.clientID)")
            _ = try await near.createGoal(app)
            try await near.closedTrade(app, profit: 450)
            let careful = try await trading.rebalance(app).object
            #expect(careful.string("strategy") == "mean_reversion", "\(careful)")
            let carefulGoal = try #require(careful["goal"] as? [String: Any])
            #expect(abs((carefulGoal.double("factor") ?? 0) - 0.5) < 1e-9)
            let invested = (careful["target_weights"] as? [String: Double] ?? [:]).values.reduce(0, +)
            #expect(invested <= 0.5 * 0.98 + 1e-9 && invested > 0, "half the normal exposure: \(invested)")

            // The batch executes (paper) and the goals are re-measured after it.
            let batchID = try #require(careful.string("batch_id"))
            _ = try await app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: trading.token)
            let executed = try await trading.execute(app, batchID: batchID, dryRun: false)
            #expect(executed.status == .ok, "\(executed)")
            let ignored = try await app.request(.POST, "/api/rl/trading/rebalance", token: trading.token, json: [
                "client_id": trading.clientID, "account_hash": trading.accountHash, "use_goals": false])
            #expect(ignored.status == .ok && ignored.object["goal"] == nil, "use_goals false: the model portfolio alone \(ignored)")
        }
    }

    @Test("bad goal and trade input is refused with the field named", arguments: TestDatabase.available)
    func badInputIsRefused(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let user = try await scenario(app, "invalid")
            let base: [String: any Sendable] = ["user_id": user.userID, "goal_type": "monthly_return", "target_value": 5, "starting_value": 10_000]
            let cases: [([String: any Sendable], String)] = [
                (["goal_type": "get_rich"], "goal_type"),
                (["target_value": -5], "target_value"),
                (["target_value": "five"], "target_value"),
                (["starting_value": 0], "starting_value"),
                (["period_start": "2026-06-10", "period_end": "2026-06-05"], "period_end"),
                (["period_end": "next month"], "period_end"),
                (["priority": 0], "priority"),
                (["max_factor": 5], "max_factor"),
                (["calendar": "lunar"], "calendar"),
                (["goal_type": "max_drawdown", "target_value": 150], "target_value"),
                (["goal_type": "profit_target", "target_value": 100], "period_end"),
                (["client_id": 987_654], "client_id"),
            ]
            for (change, field) in cases {
                var body = base
                for (key, value) in change { body[key] = value }
                let response = try await app.request(.POST, "/api/goals", token: user.token, json: body)
                #expect(response.status.code >= 400 && response.status.code < 500 && response.errorField == field, "\(change): \(response)")
            }
            var noCapital = base
            noCapital["starting_value"] = nil
            #expect(try await app.request(.POST, "/api/goals", token: user.token, json: noCapital).errorField == "starting_value")

            let trade: [String: any Sendable] = ["user_id": user.userID, "symbol": "AAPL", "side": "LONG", "quantity": 10, "entry_price": 150]
            let tradeCases: [([String: any Sendable], String)] = [
                (["side": "UP"], "side"), (["quantity": 0.5], "quantity"), (["quantity": -1], "quantity"), (["entry_price": 0], "entry_price"),
                (["strategy_id": "strat-not-mine"], "strategy_id"), (["symbol": ""], "symbol"),
            ]
            for (change, field) in tradeCases {
                var body = trade
                for (key, value) in change { body[key] = value }
                let response = try await app.request(.POST, "/api/trades", token: user.token, json: body)
                #expect(response.status == .unprocessableEntity && response.errorField == field, "\(change): \(response)")
            }
            #expect(try await app.request(.POST, "/api/trades", token: user.token, json: trade).status == .ok)
            #expect(try await app.request(.GET, "/api/goals/no-such-goal", token: user.token).status == .notFound)
            #expect(try await app.request(.POST, "/api/strategy-instances", token: user.token,
                                          json: ["user_id": user.userID, "strategy_type": "astrology"]).errorField == "strategy_type")
            // The first goals page's address leads to the workspace's goals page.
            let page = try await app.browse(.GET, "/dashboard/goals")
            #expect(page.status == .seeOther && page.location == "/app/goals")
        }
    }
}
