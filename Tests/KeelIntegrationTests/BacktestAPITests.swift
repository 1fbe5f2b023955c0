import Foundation
import KeelCore
import KeelML
import KeelTestSupport
import Testing

@Suite("Backtests")
struct BacktestAPITests {
    func waitForResult(_ app: KeelTestApp, _ token: String, _ id: String) async throws -> [String: Any] {
        for _ in 0..<200 {
            let job = try await app.request(.GET, "/api/backtests/\(id)", token: token).object
            if job.string("status") != "running" { return job }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        throw TestSetupError("backtest \(id) did not finish")
    }

    @Test("a backtest started through the API completes and its report is served", arguments: TestDatabase.available)
    func backtestThroughTheAPI(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let submitted = try await app.request(.POST, "/api/backtests", token: token, json: [
                "strategy": "momentum", "symbols": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "JNJ", "PG"], "lookback": 126,
                "cash": 100_000, "commission_bps": 5, "fill": "next-open", "benchmark": "SPY", "max_positions": 4, "max_weight": 0.3,
            ])
            #expect(submitted.status == .accepted, "\(submitted)")
            let id = try #require(submitted.object.string("backtest_id"))
            let job = try await waitForResult(app, token, id)
            #expect(job.string("status") == "succeeded", "\(job)")
            let result = try #require(job["result"] as? [String: Any])
            let metrics = try #require(result["metrics"] as? [String: Any])
            for name in ["total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown", "calmar", "turnover", "exposure",
                         "win_rate", "profit_factor", "trades", "alpha", "beta"] {
                #expect(metrics[name] != nil, "metric \(name)")
            }
            #expect((result["final_equity"] as? NSNumber)?.doubleValue ?? 0 > 0)
            #expect(((result["equity_curve"] as? [Any])?.count ?? 0) > 100)
            let report = try await app.request(.GET, "/api/backtests/\(id)/report", token: token)
            #expect(report.status == .ok)
            #expect(report.body.contains("<svg") && report.body.contains("Monthly returns") && !report.body.contains("http"))

            let invalid = try await app.request(.POST, "/api/backtests", token: token, json: ["strategy": "astrology", "symbols": ["AAPL"]])
            #expect(invalid.status == .unprocessableEntity && invalid.errorField == "strategy")
        }
    }

    @Test("the autonomous policy replays through the API beside the benchmark and each fixed strategy; it needs a benchmark",
          arguments: TestDatabase.available)
    func autonomousReplayThroughTheAPI(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "JNJ", "PG"]
            let missing = try await app.request(.POST, "/api/backtests", token: token, json: ["strategy": "autonomous", "symbols": symbols])
            #expect(missing.status == .unprocessableEntity && missing.errorField == "benchmark", "\(missing)")
            let submitted = try await app.request(.POST, "/api/backtests", token: token, json: [
                "strategy": "autonomous", "symbols": symbols, "benchmark": "SPY", "max_positions": 4, "max_weight": 0.3,
            ])
            #expect(submitted.status == .accepted, "\(submitted)")
            let job = try await waitForResult(app, token, try #require(submitted.object.string("backtest_id")))
            #expect(job.string("status") == "succeeded", "\(job)")
            let result = try #require(job["result"] as? [String: Any])
            #expect(result.string("execution") == "next open, 5 bp slippage, Schwab fees", "live-like fills by default")
            let autonomous = try #require(result["autonomous"] as? [String: Any], "\(result.keys)")
            #expect(autonomous["policy"] is [String: Any] && autonomous["benchmark"] is [String: Any])
            #expect(Set((autonomous["fixed"] as? [String: Any])?.keys.map { $0 } ?? []) == ["momentum", "breakout", "mean_reversion", "balanced", "low_volatility"])
            let days = (autonomous["days_in_strategy"] as? [String: Int])?.values.reduce(0, +) ?? 0
            #expect(days > 0 && days == (autonomous["days_in_regime"] as? [String: Int])?.values.reduce(0, +), "\(autonomous)")
            #expect(autonomous["switches"] is Int && autonomous["demotions"] is Int && autonomous["derisks"] is Int)
            let report = try await app.request(.GET, "/api/backtests/\(try #require(submitted.object.string("backtest_id")))/report", token: token)
            #expect(report.status == .ok && report.body.contains("The autonomous policy against the benchmark and each fixed strategy") && report.body.contains("buy and hold SPY"))
            // The workspace's backtests page shows the same comparison.
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let page = try await app.browse(.GET, "/app/backtests?id=\(try #require(submitted.object.string("backtest_id")))", cookies: ["keel_session": cookie])
            #expect(page.body.contains("The autonomous policy against the benchmark and each fixed strategy") && page.body.contains("autonomous policy"))
            // The autonomous page lists it with its headline against the benchmark.
            let autonomousPage = try await app.browse(.GET, "/app/autonomous", cookies: ["keel_session": cookie])
            let replayID = try #require(submitted.object.string("backtest_id"))
            #expect(autonomousPage.body.contains("The policy on history") && autonomousPage.body.contains("/app/backtests?id=\(replayID)")
                    && autonomousPage.body.contains("SPY "), "the replay is listed on the autonomous page")
        }
    }

    @Test("the live rebalancer and the backtester get the same target weights from the same strategy", arguments: TestDatabase.available)
    func sameStrategyLiveAndBacktest(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batch = try await scenario.rebalance(app, portfolioID: 1).object
            let live = try #require(batch["target_weights"] as? [String: Double])
            #expect(!live.isEmpty)

            let universe = ModelPortfolioDefinition.standard[0].universe
            let histories = try await app.database.read { try await $0.marketBars.history(symbols: universe, since: .distantPast) }
            let market = AlignedMarket(histories)
            let strategy = PredictedReturnStrategy(kind: .momentum)
            let constraints = PortfolioConstraints(maxPositions: 10, maxWeight: 0.25, cashBuffer: 0.02)
            let replayed = strategy.targetWeights(market.view(at: market.count - 1), constraints: constraints)
            #expect(Set(replayed.keys) == Set(live.keys))
            for (symbol, weight) in live { #expect(abs((replayed[symbol] ?? -1) - weight) < 1e-9, "\(symbol)") }

            // Inside the engine the same object is called at every rebalance bar.
            let output = try PortfolioBacktester(schedule: .everyBars(100), constraints: constraints, warmUp: market.count - 2)
                .run(strategy, market: market)
            let engineTargets = try #require(output.targets.first)
            #expect(engineTargets.weights == strategy.targetWeights(market.view(at: market.count - 2), constraints: constraints))
        }
    }

    @Test("a goal replay compares goal-aware sizing with constant sizing on the same strategy", arguments: TestDatabase.available)
    func goalReplayThroughTheAPI(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let submitted = try await app.request(.POST, "/api/backtests", token: token, json: [
                "strategy": "momentum", "symbols": ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "JNJ", "PG"], "lookback": 126,
                "max_positions": 4, "max_weight": 0.3, "goal_type": "monthly_return", "goal_target": 2,
            ])
            #expect(submitted.status == .accepted, "\(submitted)")
            let job = try await waitForResult(app, token, try #require(submitted.object.string("backtest_id")))
            let result = try #require(job["result"] as? [String: Any], "\(job)")
            let replay = try #require(result["goal_replay"] as? [String: Any])
            let aware = try #require(replay["goal_aware"] as? [String: Any])
            let constant = try #require(replay["constant"] as? [String: Any])
            #expect(aware.int("periods") == constant.int("periods") && (aware.int("periods") ?? 0) > 12)
            #expect(aware.double("mean_factor") != 1 && constant.double("mean_factor") == 1)
            #expect(aware.double("final_equity") != constant.double("final_equity"))
            let factors = (replay["factors"] as? [[String: Any]] ?? []).compactMap { $0.double("factor") }
            #expect(!factors.isEmpty && factors.allSatisfy { $0 >= 0 && $0 <= 1.5 })

            let bad = try await app.request(.POST, "/api/backtests", token: token, json: [
                "strategy": "momentum", "symbols": ["AAPL"], "goal_type": "max_drawdown", "goal_target": 10])
            #expect(bad.status == .unprocessableEntity && bad.errorField == "goal_type", "\(bad)")
        }
    }
}
