import Foundation
import KeelTestSupport
import PropertyBased
import Testing

/// Random and extreme input at every backtest, goal, trade, sizing, rebalance and onboarding entry point and
/// at the JSON decoders: the answer is a 4xx naming the problem or a valid result, never a 5xx, and never a
/// crash (a trap would end the test process). Accepted backtests are followed to their end.
@Suite("Entry points under random input (property-based)")
struct EntryPointPropertyTests {
    static func expectNoServerError(_ response: TestResponse, _ what: String) {
        #expect(response.status.code < 500, "\(what) -> \(response)")
        if response.status.code >= 400 { #expect(response.errorCode != nil, "\(what): an error names its code: \(response)") }
    }

    @Test("backtest submissions: 4xx or a job that finishes", arguments: TestDatabase.available)
    func backtests(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let valid: [String: any Sendable] = [
                "strategy": "momentum", "symbols": ["AAPL", "MSFT", "aapl"], "lookback": 60, "window": 20, "fast": 5, "slow": 20, "cash": 100_000,
                "commission_per_share": 0.005, "commission_bps": 1, "slippage_bps": 2, "max_positions": 3, "max_weight": 0.5, "cash_buffer": 0.02,
                "rebalance_every": 5, "shares": 10, "fill": "close", "from": "2024-01-01T00:00:00Z", "goal_type": "monthly_return", "goal_target": 2,
            ]
            var accepted: [String] = []
            let strategies = ["momentum", "breakout", "mean-reversion", "balanced", "equal-weight", "buy-and-hold", "sma-cross", "ema-cross", "model:1"]
            await propertyCheck(count: 80, input: Gen.int(in: .min ... .max), Gen.bool) { seed, inRange in
                var values = HostileValues(seed: seed)
                var body = values.body(valid)
                if inRange {
                    // Every field inside its documented range, at random: these reach the engine.
                    let fast = values.int(1...200)
                    body = ["strategy": strategies[values.int(0...(strategies.count - 1))],
                            "symbols": (0..<values.int(1...4)).map { _ in ["AAPL", "msft", "MSFT", " aapl ", "JPM", "XOM"][values.int(0...5)] },
                            "lookback": values.int(22...2520), "window": values.int(2...2520), "fast": fast, "slow": fast + values.int(1...300),
                            "max_positions": values.int(1...500), "rebalance_every": values.int(1...2520), "cash": Double(values.int(1...10_000_000)),
                            "commission_per_share": Double(values.int(0...100)) / 100]
                }
                guard let response = try? await app.request(.POST, "/api/backtests", token: token, json: body) else { return }
                Self.expectNoServerError(response, "POST /api/backtests \(body)")
                if response.status == .accepted, let id = response.object.string("backtest_id") { accepted.append(id) }
            }
            #expect(accepted.count >= 10, "enough random requests reached the engine: \(accepted.count)")
            for id in accepted {
                var status = "running"
                // Backtests take the worker's compute threads one at a time (cores - 1): under the whole suite a
                // queue of them can take a while.
                for _ in 0..<1200 where status == "running" {
                    try await Task.sleep(for: .milliseconds(50))
                    status = try await app.request(.GET, "/api/backtests/\(id)", token: token).object.string("status") ?? "?"
                }
                #expect(status == "succeeded" || status == "failed", "backtest \(id) ended as \(status)")
            }
        }
    }

    @Test("goals, trades, sizing, rebalances and onboarding: 4xx or a valid answer", arguments: TestDatabase.available)
    func ledgerEntryPoints(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let token = scenario.token
            let goal = try await app.request(.POST, "/api/goals", token: token, json: [
                "user_id": "test_user_prop", "goal_type": "monthly_return", "target_value": 5, "starting_value": 10_000])
            let goalID = try #require(goal.object.string("goal_id"), "\(goal)")
            let trade = try await app.request(.POST, "/api/trades", token: token, json: [
                "user_id": "test_user_prop", "symbol": "AAPL", "side": "LONG", "quantity": 2, "entry_price": 150])
            let tradeID = try #require(trade.object.string("trade_id"), "\(trade)")
            let endpoints: [(HTTPMethodName, String, [String: any Sendable])] = [
                (.POST, "/api/goals", ["user_id": "test_user_prop", "goal_type": "profit_target", "target_value": 500, "starting_value": 10_000,
                                        "period_start": "2026-01-01", "period_end": "2027-01-01", "priority": 3, "max_factor": 1.5, "calendar": "nyse",
                                        "continue_after_achieved": false, "account_hash": scenario.accountHash, "client_id": scenario.clientID, "name": "g"]),
                (.PATCH, "/api/goals/\(goalID)", ["target_value": 7, "priority": 2, "max_factor": 1.2, "period_end": "2027-06-30", "name": "renamed"]),
                (.POST, "/api/trades", ["user_id": "test_user_prop", "symbol": "BTCUSDT", "side": "LONG", "quantity": 0.02, "entry_price": 60_000,
                                         "exit_price": 61_000, "fees": 1.5, "entry_time": "2026-11-01", "exit_time": "2026-11-02", "strategy_id": "strat-x"]),
                (.POST, "/api/trades/\(tradeID)/close", ["exit_price": 155, "fees": 1, "exit_time": "2026-11-30"]),
                (.POST, "/api/trades/size", ["user_id": "test_user_prop", "symbol": "AAPL", "base_quantity": 10, "price": 150, "portfolio_value": 50_000]),
                (.POST, "/api/rl/trading/rebalance", ["client_id": scenario.clientID, "account_hash": scenario.accountHash, "portfolio_id": 1,
                                                      "max_positions": 5, "require_approval": true, "use_goals": true]),
                (.POST, "/api/clients/", ["first_name": "Ada", "last_name": "Lovelace", "email": "ada.prop@example.com", "risk_tolerance": "moderate",
                                          "investment_horizon_years": 10, "date_of_birth": "1980-01-01", "phone": "+1 555 0100", "portfolio_id": 2]),
                (.PUT, "/api/clients/\(scenario.clientID)/preferences", ["max_positions": 8, "max_weight": 0.2, "cash_buffer": 0.05,
                                                                         "drift_threshold": 0.03, "trading_mode": "paper", "require_approval": true]),
                (.POST, "/api/brokerages/accounts", ["client_id": scenario.clientID, "brokerage_id": 2, "account_number": "PA-9", "account_type": "individual",
                                                     "starting_cash": 1_000]),
            ]
            await propertyCheck(count: 40, input: Gen.int(in: .min ... .max), Gen.int(in: 0...(endpoints.count - 1))) { seed, which in
                var values = HostileValues(seed: seed)
                let (method, path, valid) = endpoints[which]
                let body = values.body(valid)
                guard let response = try? await app.request(method.vapor, path, token: token, json: body) else { return }
                Self.expectNoServerError(response, "\(method) \(path) \(body)")
            }
            // The decoders: bodies that are not what any route expects.
            for raw in ["", "{", "[]", "null", "\"text\"", "{\"a\":", String(repeating: "[", count: 10_000), "{\"first_name\":\"\\u0000\"}",
                        "{\"quantity\": 1e999}", "{\"max_positions\": 1.5}"] {
                for (_, path, _) in endpoints {
                    let response = try await app.request(.POST, path, token: token, rawBody: raw)
                    Self.expectNoServerError(response, "raw \(raw.prefix(20)) to \(path)")
                }
            }
        }
    }
}

