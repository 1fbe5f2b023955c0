import Foundation
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing
import Vapor

/// The autonomous daily cycle end to end through the API: per-account jobs, approval and alerts, strategy
/// switching, performance tracking, risk limits, manual controls, crash recovery and scale-out.
@Suite("Autonomous trading")
struct AutonomousTradingTests {
    /// A client with a funded paper account whose preferences allow (or not) automatic approval.
    static func client(_ app: KeelTestApp, autoApprove: Bool, portfolioID: Int = 1, factory: Factory = Factory(),
                       extra: [String: any Sendable] = [:]) async throws -> TradingScenario {
        let scenario = try await TradingScenario.make(app, factory: factory, portfolioID: portfolioID)
        var body: [String: any Sendable] = ["require_approval": !autoApprove, "trading_mode": "paper"]
        for (key, value) in extra { body[key] = value }
        let updated = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token, json: body)
        guard updated.status == .ok else { throw TestSetupError("preferences: \(updated)") }
        return scenario
    }

    /// Starts a cycle and waits until it ends; returns its detail as the API shows it.
    @discardableResult
    static func cycle(_ app: KeelTestApp, token: String, _ body: [String: any Sendable] = [:], timeout: TimeInterval = 120) async throws -> [String: Any] {
        let started = try await app.request(.POST, "/api/autonomous/run", token: token, json: body)
        #expect(started.status == .accepted, "\(started)")
        let cycleID = try #require(started.object.string("cycle_id"))
        #expect(started.object.string("job_id") != nil)
        return try await finished(app, token: token, cycleID: cycleID, timeout: timeout)
    }

    static func finished(_ app: KeelTestApp, token: String, cycleID: String, timeout: TimeInterval = 120) async throws -> [String: Any] {
        try await app.eventually("cycle \(cycleID) to end", timeout: timeout) {
            let status = (try await app.request(.GET, "/api/autonomous/runs/\(cycleID)", token: token).object["cycle"] as? [String: Any])?.string("status")
            return status == "completed" || status == "failed"
        }
        return try await app.request(.GET, "/api/autonomous/runs/\(cycleID)", token: token).object
    }

    static func account(_ detail: [String: Any], _ hash: String) -> [String: Any]? {
        detail.objects("accounts").first { $0.string("account_hash") == hash }
    }

    static func steps(_ detail: [String: Any], scope: String) -> [String: [String: Any]] {
        Dictionary(detail.objects("steps").filter { $0.string("scope") == scope }.map { ($0.string("step") ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("the daily cycle: auto-approved paper accounts trade; approval-required ones get a waiting batch and an alert",
          arguments: TestDatabase.available)
    func dailyCycleEndToEnd(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let auto = try await Self.client(app, autoApprove: true)
            let manual = try await Self.client(app, autoApprove: false, portfolioID: 2)
            let detail = try await Self.cycle(app, token: auto.token)
            let cycle = try #require(detail["cycle"] as? [String: Any])
            #expect(cycle.string("status") == "completed", "\(cycle)")
            #expect(cycle.int("accounts_total") == 2 && cycle.int("accounts_done") == 2)
            #expect(cycle.string("regime") != nil, "the regime of SPY is computed from the stored bars")

            let traded = try #require(Self.account(detail, auto.accountHash))
            #expect(traded.string("status") == "completed", "\(traded)")
            let batchID = try #require(traded.string("batch_id"))
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: auto.token).object
            #expect(batch.string("status") == "executed", "\(batch)")
            #expect(try await app.count("paper_broker_orders") == (traded.int("orders") ?? -1), "every planned order reached the paper broker once")
            #expect(traded.string("strategy") != nil && traded.string("reason")?.isEmpty == false)

            let steps = Self.steps(detail, scope: auto.accountHash)
            for step in ["strategy_selection", "predictions", "portfolio_generation", "batch_creation", "approval", "execution",
                         "performance_evaluation", "adjustment"] {
                let record = try #require(steps[step], "step \(step) is recorded")
                #expect(record.string("status") == "completed", "\(step): \(record)")
                #expect(record["outputs"] is [String: Any], "\(step) stores its outputs")
                #expect(record.int("duration_ms") != nil)
            }
            // Money leaves Keel rounded to the cent, as text of a decimal (no binary float's 99951.48000000001).
            let stored = try await app.database.read { session in
                try await session.sql.raw("SELECT outputs FROM cycle_steps WHERE step = 'performance_evaluation' AND scope = \(bind: auto.accountHash)").first()?
                    .decode(column: "outputs", as: String.self)
            }
            let value = try #require(stored?.firstMatch(of: /"portfolio_value":(-?[0-9.eE+-]+)/)?.1, "\(stored ?? "")")
            #expect(value.split(separator: ".").dropFirst().first.map { $0.count <= 2 } ?? true, "\(value)")
            #expect(!value.contains("e") && !value.contains("E"), "\(value)")
            #expect(Self.steps(detail, scope: "cycle")["regime"]?.string("status") == "completed")
            #expect(try await app.count("market_regimes", where: "symbol = 'SPY'") > 200, "the regime history is stored daily")
            #expect(try await app.count("account_performance", where: "account_hash = '\(auto.accountHash)'") == 1)

            let waiting = try #require(Self.account(detail, manual.accountHash))
            #expect(waiting.string("status") == "awaiting_approval", "\(waiting)")
            let pending = try await app.request(.GET, "/api/rl/trading/batches/\(try #require(waiting.string("batch_id")))", token: auto.token).object
            #expect(pending.string("status") == "pending_approval")
            #expect(try await app.count("alerts", where: "kind = 'batch_awaiting_approval' AND client_id = \(manual.clientID)") == 1)
            #expect(try await app.count("paper_broker_orders") == (traded.int("orders") ?? -1), "nothing was sent for the waiting batch")
            let approved = try await app.request(.POST, "/api/rl/trading/batches/\(try #require(waiting.string("batch_id")))/approve", token: auto.token)
            #expect(approved.status == .ok)
            #expect(try await app.count("alerts", where: "kind = 'batch_awaiting_approval' AND resolved_at IS NULL") == 0, "approving resolves the alert")

            let status = try await app.request(.GET, "/api/autonomous/status", token: auto.token)
            #expect(status.status == .ok, "\(status)")
            #expect((status.object["last_cycle"] as? [String: Any])?.string("cycle_id") == cycle.string("cycle_id"))
            #expect(status.object.objects("accounts").count == 2)
            let ready = try await app.request(.GET, "/health/ready")
            #expect((ready.object["last_cycle"] as? [String: Any])?.string("status") == "completed", "\(ready)")
            #expect(ready.object["brokers"] is [String: Any])
            let list = try await app.request(.GET, "/api/autonomous/runs", token: auto.token)
            #expect(list.array.count == 1)
        }
    }

    @Test("bad input: unknown clients, as_of in the future, a second run of the same day, bad overrides", arguments: TestDatabase.available)
    func badInput(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            let token = scenario.token
            let unknown = try await app.request(.POST, "/api/autonomous/run", token: token, json: ["client_ids": [scenario.clientID, 999_999]])
            #expect(unknown.status == .unprocessableEntity && unknown.errorField == "client_ids", "\(unknown)")
            let future = try await app.request(.POST, "/api/autonomous/run", token: token, json: ["as_of": "2030-01-01T00:00:00Z"])
            #expect(future.status == .unprocessableEntity && future.errorField == "as_of", "\(future)")
            let empty = try await app.request(.POST, "/api/autonomous/run", token: token, json: ["client_ids": [Int]()])
            #expect(empty.status == .unprocessableEntity && empty.errorField == "client_ids")
            #expect(try await app.count("cycle_runs") == 0, "refused runs store nothing")

            let first = try await app.request(.POST, "/api/autonomous/run", token: token, json: [:])
            #expect(first.status == .accepted)
            let second = try await app.request(.POST, "/api/autonomous/run", token: token, json: ["dry_run": true])
            #expect(second.status == .conflict, "\(second)")
            #expect((second.object["error"] as? [String: Any])?.string("resource_id") == first.object.string("cycle_id"))
            #expect(second.errorCode == "cycle_running")

            let path = "/api/clients/\(scenario.clientID)/strategy-override"
            let badStrategy = try await app.request(.PUT, path, token: token, json: ["strategy": "yolo", "until": "2026-07-01T00:00:00Z", "reason": "x"])
            #expect(badStrategy.status == .unprocessableEntity && badStrategy.errorField == "strategy", "\(badStrategy)")
            let past = try await app.request(.PUT, path, token: token, json: ["strategy": "balanced", "until": "2026-01-01T00:00:00Z", "reason": "x"])
            #expect(past.status == .unprocessableEntity && past.errorField == "until", "\(past)")
            let noReason = try await app.request(.PUT, path, token: token, json: ["strategy": "balanced", "until": "2026-07-01T00:00:00Z"])
            #expect(noReason.status == .unprocessableEntity && noReason.errorField == "reason")
            let missing = try await app.request(.POST, "/api/clients/999999/pause", token: token, json: [:])
            #expect(missing.status == .notFound)
        }
    }

    /// A market that rises for `bullDays` with calming swings (as bull markets do), then falls about 40 % with wide
    /// swings over `crashDays`.
    static func regimeSeries(symbol: String, end: Date, bullDays: Int = 320, crashDays: Int = 60) -> BarSeries {
        var generator = SeededGenerator(seed: 11)
        var times: [Date] = [], closes: [Double] = []
        var price = 100.0
        let total = bullDays + crashDays
        for index in 0..<total {
            let shock = Double.random(in: -1...1, using: &generator)
            if index < bullDays {
                price *= 1 + 0.0012 + (0.014 - 0.011 * Double(index) / Double(bullDays)) * shock
            } else {
                price *= 1 - 0.0085 + 0.03 * shock
            }
            times.append(end.addingTimeInterval(-Double(total - 1 - index) * 86_400))
            closes.append(price)
        }
        return BarSeries(symbol: symbol, timestamps: times, open: closes, high: closes.map { $0 * 1.01 }, low: closes.map { $0 * 0.99 },
                         close: closes, volume: closes.map { _ in 1_000_000 })
    }

    @Test("strategy switching on a regime change: momentum in a bull market, defensive once it turns, with the reason kept",
          arguments: TestDatabase.available)
    func strategySwitchOnRegimeChange(database: TestDatabase) async throws {
        var settings = ServiceSettings()
        settings.cycle.regimeSymbol = "RGM"
        try await KeelTestApp.run(on: database, settings: settings) { app in
            let series = Self.regimeSeries(symbol: "RGM", end: TestFixtures.now)
            try await app.database.write { session in
                try await session.referenceData.ensureInstruments([Instrument(symbol: "RGM", assetClass: .equity, name: "regime index")])
                try await session.marketBars.upsert(series, interval: "1d", source: "test")
            }
            let scenario = try await Self.client(app, autoApprove: true)
            let bullDay = series.timestamps[300]
            let first = try await Self.cycle(app, token: scenario.token, ["as_of": ISO8601DateFormatter().string(from: bullDay)])
            #expect((first["cycle"] as? [String: Any])?.string("regime") == "bull", "\(first["cycle"] ?? "")")
            let before = try #require(Self.account(first, scenario.accountHash))
            #expect(before.string("strategy") == "momentum", "\(before)")

            let second = try await Self.cycle(app, token: scenario.token)
            let regime = (second["cycle"] as? [String: Any])?.string("regime")
            #expect(regime == "bear" || regime == "high_volatility", "\(regime ?? "nil")")
            let after = try #require(Self.account(second, scenario.accountHash))
            #expect(after.string("strategy") == "low_volatility", "\(after)")
            #expect(after.string("reason")?.contains("defensive") == true)
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(try #require(after.string("batch_id")))", token: scenario.token).object
            #expect(batch.int("portfolio_id") == ModelPortfolioDefinition.defensiveID, "the defensive model portfolio is planned")
            #expect(try await app.count("audit_log", where: "action = 'autonomy.strategy_switch'") == 1)
        }
    }

    @Test("regime detection: a simulated bull run then crash is read as bull then bear or high volatility; March 2020 on real SPY as a crisis",
          arguments: TestDatabase.available)
    func regimeDetection(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let series = Self.regimeSeries(symbol: "SIMR", end: TestFixtures.now)
            let days = RegimeClassifier().classify(series)
            let bullShare = Double(days[250..<320].filter { $0.regime == .bull }.count) / 70
            let crashShare = Double(days.suffix(30).filter { $0.regime == .bear || $0.regime == .highVolatility }.count) / 30
            #expect(bullShare > 0.8, "bull share \(bullShare): \(days[250..<320].map { "\($0.regime.rawValue) \($0.inputs.volatilityPercentile)" })")
            #expect(crashShare > 0.8, "crash share \(crashShare)")

            guard MarketDataFiles.available else {
                Issue.record("\(MarketDataFiles.skipReason)")
                return
            }
            let spy = try BarCSV.parse(try String(contentsOfFile: MarketDataFiles.path("equities/etf_spy_1999_2020/SPY.csv"), encoding: .utf8),
                                       symbol: "SPYREAL").series
            try await app.database.write { session in
                try await session.referenceData.ensureInstruments([Instrument(symbol: "SPYREAL", assetClass: .equity, name: "SPY")])
                try await session.marketBars.upsert(spy, interval: "1d", source: "test")
            }
            let march = ISO8601DateFormatter().date(from: "2020-03-31T23:00:00Z")!
            let stored = try #require(try await app.services.regimes.storeDaily(symbol: "SPYREAL", asOf: march))
            #expect(stored.regime == .bear || stored.regime == .highVolatility, "\(stored.regime)")
            let row = try #require(try await app.database.read { try await $0.regimes.latest(symbol: "SPYREAL") })
            #expect(row.day == "2020-03-31" && (row.regime == "bear" || row.regime == "high_volatility"))
            #expect(row.inputs.contains("volatility_percentile"))
        }
    }

    @Test("performance tracking: each cycle stores the day's value and return against the benchmark; an underperformer is demoted and switched",
          arguments: TestDatabase.available)
    func performanceTracking(database: TestDatabase) async throws {
        var settings = ServiceSettings()
        settings.cycle.dataSource = .simulator(seed: TestFixtures.marketSeed, historyDays: 500)
        settings.cycle.minimumJudgedDays = 2
        // Any excess t-statistic counts as evidence of trailing: the test forces a demotion.
        settings.cycle.demotionTStatistic = 1_000
        try await KeelTestApp.run(on: database, settings: settings) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            var strategies: [String] = []
            var lastDetail: [String: Any] = [:]
            for _ in 0..<4 {
                let detail = try await Self.cycle(app, token: try await app.login())
                strategies.append(Self.account(detail, scenario.accountHash)?.string("strategy") ?? "?")
                lastDetail = detail
                app.clock.advance(by: 86_400)
            }
            // The performance step records what it judged, and the adjustment its statistic and threshold.
            let judged = Self.steps(lastDetail, scope: scenario.accountHash)
            let performance = try #require(judged["performance_evaluation"]?["outputs"] as? [String: Any], "\(judged.keys)")
            #expect(performance["drawdown_from_high_water_mark"] as? Double != nil && performance["window"] is [String: Any], "\(performance)")
            #expect(performance["demotion_t_statistic"] as? Double == 1_000 && performance["minimum_judged_days"] as? Int == 2)
            let adjustment = try #require(judged["adjustment"]?["outputs"] as? [String: Any])
            #expect(adjustment["threshold"] as? Double == 1_000, "\(adjustment)")
            let rows = try await app.database.read { try await $0.performance.history(accountHash: scenario.accountHash, limit: 10) }
            #expect(rows.count == 4, "one row per day: \(rows.map(\.day))")
            #expect(rows.dropFirst().allSatisfy { $0.dailyReturn != nil && $0.benchmarkReturn != nil }, "\(rows)")
            #expect(rows.allSatisfy { $0.portfolioValue > 0 })
            #expect(try await app.count("audit_log", where: "action = 'autonomy.demote'") >= 1)
            #expect(Set(strategies).count >= 2, "the demoted strategy was switched away from: \(strategies)")
            let report = try await app.request(.GET, "/api/autonomous/performance/\(scenario.accountHash)?days=10", token: try await app.login())
            #expect(report.status == .ok, "\(report)")
            #expect(report.object.objects("days").count == 4)
            #expect((report.object["overall"] as? [String: Any])?.int("days") == 3, "three days have a return")
            #expect(Set(((report.object["by_strategy"] as? [String: Any]) ?? [:]).keys) == Set(strategies))
            let tooMany = try await app.request(.GET, "/api/autonomous/performance/\(scenario.accountHash)?days=0", token: try await app.login())
            #expect(tooMany.status == .unprocessableEntity && tooMany.errorField == "days")
        }
    }

    @Test("a breached drawdown limit de-risks to the defensive portfolio and raises an alert", arguments: TestDatabase.available)
    func riskBreachDerisks(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: true, extra: ["max_drawdown_limit": 0.1, "derisk_action": "defensive"])
            try await Self.limitSet(app, scenario, daysAgo: 6)
            // The account was worth twice as much five days ago: a 50 % drawdown from its peak.
            let peak = 200_000.0
            try await app.database.write { session in
                for (offset, value) in [(5, peak), (4, 180_000.0), (3, 150_000.0), (2, 120_000.0), (1, 100_500.0)] {
                    let day = CivilDay(TestFixtures.now).adding(days: -offset)
                    try await session.performance.record(AccountPerformanceRecord(
                        accountHash: scenario.accountHash, clientID: scenario.clientID, day: day.description, strategy: "momentum",
                        portfolioValue: value, dailyReturn: nil, benchmarkClose: nil, benchmarkReturn: nil, cycleID: nil, recordedAt: day.date))
                }
            }
            let detail = try await Self.cycle(app, token: scenario.token)
            let account = try #require(Self.account(detail, scenario.accountHash))
            #expect(account.string("strategy") == "low_volatility", "\(account)")
            let selection = try #require(Self.steps(detail, scope: scenario.accountHash)["strategy_selection"]?["outputs"] as? [String: Any])
            #expect(selection["derisked"] as? Bool == true, "\(selection)")
            #expect(selection.string("rule") == "risk_limit")
            #expect(try await app.count("alerts", where: "kind = 'risk_limit_breached' AND client_id = \(scenario.clientID)") == 1)
            let state = try #require(try await app.database.read { try await $0.autonomy.state(accountHash: scenario.accountHash) })
            #expect(state.deriskedAt != nil && state.portfolioID == ModelPortfolioDefinition.defensiveID)
        }
    }

    /// Dates the client's drawdown limit `daysAgo` days back, as if it had been set then.
    static func limitSet(_ app: KeelTestApp, _ scenario: TradingScenario, daysAgo: Int) async throws {
        let then = CivilDay(TestFixtures.now).adding(days: -daysAgo).date
        try await app.database.write { session in
            try await session.sql.raw("UPDATE client_preferences SET drawdown_limit_set_at = \(bind: then) WHERE client_id = \(bind: scenario.clientID)").run()
        }
    }

    @Test("a slow bleed over 200 days breaches the drawdown limit: the high-water mark is persisted from the day the limit was set, not the last 60 days",
          arguments: TestDatabase.available)
    func slowBleedBreaches(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: true, extra: ["max_drawdown_limit": 0.1, "derisk_action": "defensive"])
            try await Self.limitSet(app, scenario, daysAgo: 201)
            // 130,000 down to about 100,500 over 200 days: 0.13% a day, 7.5% over any 60 days, 23% from the peak.
            let daily = pow(100_500.0 / 130_000, 1.0 / 199)
            try await app.database.write { session in
                for offset in stride(from: 200, through: 1, by: -1) {
                    let day = CivilDay(TestFixtures.now).adding(days: -offset)
                    try await session.performance.record(AccountPerformanceRecord(
                        accountHash: scenario.accountHash, clientID: scenario.clientID, day: day.description, strategy: "momentum",
                        portfolioValue: 130_000 * pow(daily, Double(200 - offset)), dailyReturn: nil, benchmarkClose: nil, benchmarkReturn: nil,
                        cycleID: nil, recordedAt: day.date))
                }
            }
            let detail = try await Self.cycle(app, token: scenario.token)
            let selection = try #require(Self.steps(detail, scope: scenario.accountHash)["strategy_selection"]?["outputs"] as? [String: Any])
            #expect(selection["derisked"] as? Bool == true && selection.string("rule") == "risk_limit", "\(selection)")
            let risk = try #require(selection["risk"] as? [String: Any])
            #expect((risk["drawdown"] as? Double ?? 0) < -0.2, "measured from the 130,000 peak: \(risk)")
        }
    }

    @Test("deposits and withdrawals are neither gains nor losses: the drawdown limit and the day's return are judged on the time-weighted NAV",
          arguments: TestDatabase.available)
    func cashFlowsAreNotPerformance(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: true, extra: ["max_drawdown_limit": 0.1, "derisk_action": "defensive"])
            try await Self.limitSet(app, scenario, daysAgo: 21)
            // Twenty flat days at the account's 100,000 of cash.
            try await app.database.write { session in
                for offset in stride(from: 20, through: 1, by: -1) {
                    let day = CivilDay(TestFixtures.now).adding(days: -offset)
                    try await session.performance.record(AccountPerformanceRecord(
                        accountHash: scenario.accountHash, clientID: scenario.clientID, day: day.description, strategy: "momentum",
                        portfolioValue: 100_000, dailyReturn: nil, benchmarkClose: nil, benchmarkReturn: nil, cycleID: nil, recordedAt: day.date))
                }
            }
            let path = "/api/brokerages/accounts/\(scenario.accountHash)/cash-flows"
            // Bad input names the field; a withdrawal beyond the cash is refused and moves nothing.
            for body: [String: any Sendable] in [[:], ["amount": 0], ["amount": 1.005], ["amount": 5e9], ["amount": 10, "note": String(repeating: "x", count: 201)]] {
                let refused = try await app.request(.POST, path, token: scenario.token, json: body)
                #expect(refused.status == .unprocessableEntity, "\(body): \(refused)")
                #expect((refused.object["error"] as? [String: Any])?.string("field") == (body["note"] != nil ? "note" : "amount"), "\(refused.object)")
            }
            let overdrawn = try await app.request(.POST, path, token: scenario.token, json: ["amount": -100_000.01])
            #expect(overdrawn.status == .conflict && (overdrawn.object["error"] as? [String: Any])?.string("code") == "insufficient_cash", "\(overdrawn)")

            // A 40% withdrawal: the raw value falls 40%, four times the limit.
            let withdrawal = try await app.request(.POST, path, token: scenario.token, json: ["amount": -40_000, "note": "house purchase"])
            #expect(withdrawal.status == .ok, "\(withdrawal)")
            let account = try await app.request(.GET, "/api/brokerages/accounts/\(scenario.accountHash)", token: scenario.token)
            #expect(account.object.double("cash") == 60_000, "Keel's ledger cash moved: \(account.object)")
            let paperCash = try await app.database.read { try await $0.paperBroker.openingCash(accountID: scenario.accountHash) }
            #expect(paperCash == 60_000, "the paper broker's cash moved with it")

            let detail = try await Self.cycle(app, token: scenario.token)
            let steps = Self.steps(detail, scope: scenario.accountHash)
            let selection = try #require(steps["strategy_selection"]?["outputs"] as? [String: Any])
            #expect(selection["derisked"] as? Bool == false, "a withdrawal is not a drawdown: \(selection)")
            let risk = try #require(selection["risk"] as? [String: Any])
            #expect(abs(risk["drawdown"] as? Double ?? -1) < 1e-9, "\(risk)")
            let performance = try #require(steps["performance_evaluation"]?["outputs"] as? [String: Any])
            #expect(performance["net_flow"] as? Double == -40_000, "\(performance)")
            let dailyReturn = try #require(performance["daily_return"] as? Double)
            #expect(abs(dailyReturn) < 0.02, "the day's return excludes the withdrawal (costs of the day's trades only): \(performance)")
            #expect(abs(performance["drawdown_from_high_water_mark"] as? Double ?? -1) < 0.02, "\(performance)")

            let flows = try await app.request(.GET, path, token: scenario.token)
            #expect(flows.status == .ok && flows.array.count == 1 && flows.array.first?.string("note") == "house purchase", "\(flows)")
            #expect(try await app.count("audit_log", where: "action = 'account.withdrawal'") == 1)
        }
    }

    @Test("stale data never buys: a name whose bars stop before the latest completed session is left out of new buys, with the reason",
          arguments: TestDatabase.available)
    func staleNameIsNotBought(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let first = try await scenario.rebalance(app)
            #expect(first.status == .ok, "\(first)")
            let bought = first.object.objects("orders").filter { $0.string("side") == "buy" }.compactMap { $0.string("symbol") }
            let stale = try #require(bought.sorted().first, "the first plan buys something")
            let cutoff = CivilDay(TestFixtures.now).adding(days: -5).date
            try await app.database.write { session in
                try await session.sql.raw("DELETE FROM market_bars WHERE symbol = \(bind: stale) AND ts >= \(bind: cutoff)").run()
            }
            let second = try await scenario.rebalance(app)
            #expect(second.status == .ok, "\(second)")
            let excluded = try #require(second.object["stale_excluded"] as? [String: String], "\(second.object)")
            #expect(excluded[stale]?.contains("latest completed session") == true, "\(excluded)")
            #expect(!second.object.objects("orders").contains { $0.string("symbol") == stale && $0.string("side") == "buy" })
            #expect(second.object.objects("orders").contains { $0.string("side") == "buy" }, "the fresh names are still bought")
        }
    }

    @Test("a stale benchmark: the regime step answers stale, the cycle skips its accounts and raises a critical alert",
          arguments: TestDatabase.available)
    func staleBenchmarkSkipsTheCycle(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            let cutoff = CivilDay(TestFixtures.now).adding(days: -5).date
            try await app.database.write { session in
                try await session.sql.raw("DELETE FROM market_bars WHERE symbol = 'SPY' AND ts >= \(bind: cutoff)").run()
            }
            let detail = try await Self.cycle(app, token: scenario.token)
            let cycle = try #require(detail["cycle"] as? [String: Any])
            #expect(cycle.string("status") == "completed" && cycle.string("regime") == "stale", "\(cycle)")
            #expect(Self.account(detail, scenario.accountHash) == nil, "no account was planned")
            #expect(try await app.count("trade_batches", where: "account_hash = '\(scenario.accountHash)'") == 0)
            #expect(try await app.count("alerts", where: "kind = 'stale_market_data' AND severity = 'critical'") == 1)
        }
    }

    @Test("a loss made before the drawdown limit was set does not breach it", arguments: TestDatabase.available)
    func limitJudgesFromItsStart(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: true, extra: ["max_drawdown_limit": 0.1, "derisk_action": "defensive"])
            try await Self.limitSet(app, scenario, daysAgo: 2)
            try await app.database.write { session in
                for (offset, value) in [(5, 200_000.0), (4, 150_000.0), (2, 101_000.0), (1, 100_500.0)] {
                    let day = CivilDay(TestFixtures.now).adding(days: -offset)
                    try await session.performance.record(AccountPerformanceRecord(
                        accountHash: scenario.accountHash, clientID: scenario.clientID, day: day.description, strategy: "momentum",
                        portfolioValue: value, dailyReturn: nil, benchmarkClose: nil, benchmarkReturn: nil, cycleID: nil, recordedAt: day.date))
                }
            }
            let detail = try await Self.cycle(app, token: scenario.token)
            let selection = try #require(Self.steps(detail, scope: scenario.accountHash)["strategy_selection"]?["outputs"] as? [String: Any])
            #expect(selection["derisked"] as? Bool == false, "the 200,000 peak predates the limit: \(selection)")
        }
    }

    @Test("manual control: a paused client is skipped, an override is followed, the kill switch engaged mid-cycle stops every order",
          arguments: TestDatabase.available)
    func manualControlsHonoured(database: TestDatabase) async throws {
        let engaged = LockedFlag()
        try await KeelTestApp.run(on: database, configure: { configuration in
            configuration.cycleFaults = CycleFaults { step, _ in
                // The hook runs when a step has finished. After the first approval of the cycle, which precedes every
                // execution of every account, and which only an account with orders reaches: engaging it after planning
                // raced the other account's pre-plan check (then no account had orders to stop).
                if step == .approval, engaged.isSet, let services = engaged.services {
                    _ = try? await services.system.setKillSwitch(engaged: true, reason: "mid-cycle test", by: Principal(userID: "test", role: .admin, clientID: nil))
                }
                return false
            }
        }) { app in
            let paused = try await Self.client(app, autoApprove: true)
            let overridden = try await Self.client(app, autoApprove: true)
            let token = paused.token
            let pause = try await app.request(.POST, "/api/clients/\(paused.clientID)/pause", token: token, json: ["reason": "client on holiday"])
            #expect(pause.status == .ok && pause.object["paused"] as? Bool == true, "\(pause)")
            let override = try await app.request(.PUT, "/api/clients/\(overridden.clientID)/strategy-override", token: token,
                                                 json: ["strategy": "balanced", "until": "2026-06-10T00:00:00Z", "reason": "advisor call"])
            #expect(override.status == .ok, "\(override)")
            let detail = try await Self.cycle(app, token: token)
            let skipped = try #require(Self.account(detail, paused.accountHash))
            #expect(skipped.string("status") == "skipped" && skipped.string("outcome")?.contains("paused") == true, "\(skipped)")
            #expect(skipped.string("batch_id") == nil)
            let followed = try #require(Self.account(detail, overridden.accountHash))
            #expect(followed.string("strategy") == "balanced" && followed.string("reason")?.contains("override") == true, "\(followed)")
            let status = try await app.request(.GET, "/api/autonomous/status", token: token).object
            #expect(status.objects("paused_clients").map { $0.int("client_id") } == [paused.clientID])
            #expect(try await app.count("audit_log", where: "action IN ('client.pause', 'client.strategy_override')") == 2)

            // Resume, then engage the kill switch while the cycle is between planning and execution.
            let resumed = try await app.request(.POST, "/api/clients/\(paused.clientID)/resume", token: token)
            #expect(resumed.object["paused"] as? Bool == false)
            _ = try await app.request(.DELETE, "/api/clients/\(overridden.clientID)/strategy-override", token: token)
            let ordersBefore = try await app.count("paper_broker_orders")
            engaged.set(app.services)
            let killed = try await Self.cycle(app, token: token)
            let withOrders = killed.objects("accounts").filter { ($0.int("orders") ?? 0) > 0 }
            #expect(!withOrders.isEmpty, "the first cycle left something to trade")
            for entry in withOrders {
                #expect(entry.string("status") == "skipped", "\(entry)")
                #expect(entry.string("outcome")?.contains("kill switch") == true, "\(entry)")
            }
            #expect(try await app.count("paper_broker_orders") == ordersBefore, "no order reached the broker after the kill switch")
        }
    }

    @Test("paper trading keeps market hours: on a Saturday equity orders wait, crypto fills; the kill switch cancels the waiting ones at the broker",
          arguments: TestDatabase.available)
    func killSwitchCancelsWaitingOrders(database: TestDatabase) async throws {
        // The stored bars end on Monday 1 June and the test trades on Saturday the 6th: it is about market hours,
        // so it accepts prices up to four sessions behind (the default accepts none).
        var settings = ServiceSettings()
        settings.priceFreshness = PriceFreshness(sessionsBehind: 4)
        try await KeelTestApp.run(on: database, settings: settings) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            app.clock.set(ISO8601DateFormatter().date(from: "2026-06-06T15:00:00Z")!)
            let token = try await app.login()
            let detail = try await Self.cycle(app, token: token)
            let account = try #require(Self.account(detail, scenario.accountHash))
            let batchID = try #require(account.string("batch_id"))
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token).object
            #expect(batch.string("status") == "working", "equity orders wait for Monday: \(batch.string("status") ?? "")")
            let orders = batch.objects("orders")
            let waiting = orders.filter { $0.string("status") == "working" }
            #expect(!waiting.isEmpty, "\(orders.map { "\($0.string("symbol") ?? "") \($0.string("status") ?? "")" })")
            #expect(waiting.allSatisfy { AssetClass.inferred(fromSymbol: $0.string("symbol") ?? "") == .equity })
            #expect(orders.filter { ($0.string("symbol") ?? "").hasSuffix("-USD") }.allSatisfy { $0.string("status") == "filled" }, "crypto trades at weekends")

            let kill = try await app.request(.POST, "/api/system/kill-switch", token: token, json: ["engaged": true, "reason": "test"])
            #expect(kill.status == .ok, "\(kill)")
            let after = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token).object.objects("orders")
            for order in after where waiting.contains(where: { $0.string("order_id") == order.string("order_id") }) {
                #expect(order.string("status") == "cancelled", "\(order)")
            }
            #expect(try await app.count("paper_broker_orders", where: "status = 'cancelled'") == waiting.count)
            #expect(try await app.count("broker_calls", where: "operation = 'cancel_order'") == waiting.count)
            // Nothing is left open: the batch settles at once with what filled (the crypto), on both databases alike.
            let settled = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token).object.string("status")
            #expect(settled == "partially_executed", "a kill switch leaves no batch needing reconciliation: \(settled ?? "")")
        }
    }

    @Test("a batch an advisor approved is left in place by the cycle, and of two executions racing for it exactly one sends its orders",
          arguments: TestDatabase.available)
    func cycleLeavesAnApprovedBatch(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await Self.client(app, autoApprove: false)
            let token = try await app.login()
            let batchID = try await scenario.approvedBatch(app)
            let detail = try await Self.cycle(app, token: token, ["client_ids": [scenario.clientID]])
            let entry = try #require(Self.account(detail, scenario.accountHash))
            #expect(entry.string("status") == "skipped" && entry.string("outcome")?.contains("approved") == true, "\(entry)")
            #expect(try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token).object.string("status") == "approved",
                    "the cycle did not supersede it")
            async let first = scenario.execute(app, batchID: batchID, dryRun: false)
            async let second = scenario.execute(app, batchID: batchID, dryRun: false)
            let answers = try await [first, second]
            #expect(answers.filter { $0.status == .ok }.count == 1 && answers.filter { $0.status == .conflict }.count == 1, "\(answers)")
            let batch = try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: token).object
            #expect(batch.string("status") == "executed", "\(batch.string("status") ?? "")")
            let orders = batch.objects("orders").count
            #expect(try await app.count("broker_calls", where: "operation = 'place_order'") == orders, "each order sent once")
        }
    }

    @Test("the cycle runs by itself once a day, after the NYSE close", arguments: TestDatabase.available)
    func scheduledDailyCycle(database: TestDatabase) async throws {
        var settings = ServiceSettings()
        settings.cycle.scheduled = true
        try await KeelTestApp.run(on: database, settings: settings, configure: {
            $0.duties = [PeriodicDuty(kind: PeriodicDuty.cycleSchedule, interval: 60)]
        }) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            let due = CycleSchedule(settings: settings.cycle).due(on: CivilDay(TestFixtures.now))
            #expect(due == ISO8601DateFormatter().date(from: "2026-06-01T20:30:00Z")!, "16:00 New York + 30 minutes")
            let saturday = CycleSchedule(settings: settings.cycle).due(on: CivilDay(year: 2026, month: 6, day: 6))
            #expect(saturday == ISO8601DateFormatter().date(from: "2026-06-06T00:30:00Z")!, "no equity session: the crypto time")
            // Not yet: the schedule duty the move woke has looked and gone back to sleep before the check.
            var asleep = app.clock.sleeperCount
            app.clock.advance(by: 120)
            try await app.eventually("the woken duties to go back to sleep") { app.clock.sleeperCount >= asleep }
            #expect(try await app.count("cycle_runs") == 0, "not due before the close")
            app.clock.set(due.addingTimeInterval(30))
            // Time moves 5 s per poll (the workers' polls and heartbeats run on this clock) until the day's cycle has
            // run; never into the next day (the next cycle is due 24 h later). Steps stay under a third of the job lease
            // (30 s): a bigger jump expires the lease of an account job still running on a loaded machine, as a real
            // clock jump would, and the job is recovered and rerun instead of finishing.
            try await app.eventually("the scheduled cycle", timeout: 240) {
                if app.clock.now() < due.addingTimeInterval(20 * 3600) { app.clock.advance(by: 5) }
                try await Task.sleep(nanoseconds: 100_000_000)
                return try await app.count("cycle_runs", where: "trigger = 'scheduled' AND status = 'completed' AND cycle_date = '2026-06-01'") == 1
            }
            for _ in 0..<3 {
                asleep = app.clock.sleeperCount
                app.clock.advance(by: 61)
                try await app.eventually("the woken duties to go back to sleep") { app.clock.sleeperCount >= asleep }
            }
            #expect(try await app.count("cycle_runs") == 1, "once a day")
            let token = try await app.login()
            let status = try await app.request(.GET, "/api/autonomous/status", token: token).object
            #expect(status["scheduled"] as? Bool == true && status.string("next_cycle_at") != nil, "\(status)")
            #expect(try await app.count("cycle_accounts", where: "account_hash = '\(scenario.accountHash)'") == 1)
        }
    }

    @Test("a crash after any step resumes at that step without a second batch or a second order", arguments: TestDatabase.available)
    func crashAtEachStepResumes(database: TestDatabase) async throws {
        let target = LockedTarget()
        try await KeelTestApp.run(on: database, configure: { configuration in
            configuration.cycleFaults = CycleFaults { step, scope in target.shouldCrash(step: step, scope: scope) }
        }) { app in
            let steps: [CycleStep] = [.dataUpdate, .regime, .fanOut, .strategySelection, .predictions, .portfolioGeneration, .batchCreation,
                                      .approval, .execution, .reconciliation, .performanceEvaluation, .adjustment]
            for step in steps {
                let scenario = try await Self.client(app, autoApprove: true)
                let cycleScope = [.dataUpdate, .regime, .fanOut].contains(step)
                target.arm(step: step, scope: cycleScope ? CycleStep.cycleScope : scenario.accountHash)
                let detail = try await Self.cycle(app, token: scenario.token, ["client_ids": [scenario.clientID]])
                #expect(target.crashed, "\(step) crashed once")
                let account = try #require(Self.account(detail, scenario.accountHash), "\(step)")
                #expect(account.string("status") == "completed", "\(step): \(account)")
                let cycleID = try #require((detail["cycle"] as? [String: Any])?.string("cycle_id"))
                #expect(try await app.count("trade_batches", where: "cycle_id = '\(cycleID)'") == 1, "\(step): one batch")
                let orders = try await app.count("batch_orders b JOIN trade_batches t ON t.batch_id = b.batch_id",
                                                 where: "t.cycle_id = '\(cycleID)'")
                let sent = try await app.count("paper_broker_orders", where: "account_id = '\(scenario.accountHash)'")
                #expect(sent == orders, "\(step): \(orders) planned orders, \(sent) at the broker")
                let duplicates = try await app.count("(SELECT client_order_key FROM broker_calls WHERE operation = 'place_order' GROUP BY client_order_key HAVING COUNT(*) > 1) d")
                #expect(duplicates == 0, "\(step): an order was sent twice")
                let scope = cycleScope ? "cycle" : scenario.accountHash
                let record = Self.steps(detail, scope: scope)[step.rawValue]
                if step != .reconciliation {
                    #expect((record?.int("attempts") ?? 0) >= 2, "\(step) ran again after the crash: \(record ?? [:])")
                }
            }
        }
    }

    @Test("an account whose job keeps failing is retried, then ends failed; the cycle still ends and the other accounts trade",
          arguments: TestDatabase.available)
    func failingAccountDoesNotBlockTheCycle(database: TestDatabase) async throws {
        let broken = LockedTarget()
        try await KeelTestApp.run(on: database, configure: { configuration in
            configuration.cycleFaults = CycleFaults(crash: { _, _ in false }, fail: { step, scope in broken.matches(step: step, scope: scope) })
        }) { app in
            let bad = try await Self.client(app, autoApprove: true)
            let good = try await Self.client(app, autoApprove: true)
            broken.arm(step: .predictions, scope: bad.accountHash)
            let token = bad.token
            let started = try await app.request(.POST, "/api/autonomous/run", token: token, json: [:])
            let cycleID = try #require(started.object.string("cycle_id"))
            try await app.eventually("the cycle to end despite the failing account", timeout: 60) {
                app.clock.advance(by: 30)
                try await Task.sleep(nanoseconds: 50_000_000)
                let run = try await app.request(.GET, "/api/autonomous/runs/\(cycleID)", token: token).object["cycle"] as? [String: Any]
                return run?.string("status") == "completed"
            }
            let detail = try await app.request(.GET, "/api/autonomous/runs/\(cycleID)", token: token).object
            let failed = try #require(Self.account(detail, bad.accountHash))
            #expect(failed.string("status") == "failed" && failed.string("outcome")?.contains("injected failure") == true, "\(failed)")
            #expect(failed.int("runs") == 3, "every attempt ran: \(failed)")
            #expect(Self.account(detail, good.accountHash)?.string("status") == "completed")
            #expect((detail["cycle"] as? [String: Any])?.string("error")?.contains("1 account(s) failed") == true)
        }
    }

    @Test("concurrent runs of one day start one cycle (the others 409 with its id); concurrent pauses, resumes and overrides of a client never 5xx and each is audited",
          arguments: TestDatabase.available.filter { $0 == .postgres })
    func concurrentRunsAndControls(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8, configure: { $0.runWorker = false }) { app in
            let scenario = try await Self.client(app, autoApprove: true)
            let token = scenario.token
            let runs = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<8 { group.addTask { try await app.request(.POST, "/api/autonomous/run", token: token, json: [:]) } }
                var all: [TestResponse] = []
                for try await response in group { all.append(response) }
                return all
            }
            let started = runs.filter { $0.status == .accepted }
            #expect(started.count == 1, "\(runs.map(\.status.code))")
            let id = started.first?.object.string("cycle_id")
            #expect(runs.filter { $0.status == .conflict }.allSatisfy { ($0.object["error"] as? [String: Any])?.string("resource_id") == id })
            #expect(try await app.count("cycle_runs") == 1)
            #expect(try await app.count("jobs", where: "kind = 'cycle.run'") == 1)

            let path = "/api/clients/\(scenario.clientID)"
            let controls = try await withThrowingTaskGroup(of: UInt.self) { group in
                for round in 0..<12 {
                    group.addTask {
                        switch round % 3 {
                        case 0: try await app.request(.POST, "\(path)/pause", token: token, json: ["reason": "round \(round)"]).status.code
                        case 1: try await app.request(.POST, "\(path)/resume", token: token).status.code
                        default: try await app.request(.PUT, "\(path)/strategy-override", token: token,
                                                       json: ["strategy": "balanced", "until": "2026-06-20T00:00:00Z", "reason": "round \(round)"]).status.code
                        }
                    }
                }
                var all: [UInt] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(controls.allSatisfy { $0 == 200 }, "\(controls)")
            #expect(try await app.count("client_controls") == 1, "one row per client")
            #expect(try await app.count("audit_log", where: "action IN ('client.pause', 'client.resume', 'client.strategy_override')") == 12)
        }
    }

    @Test("three app instances on one PostgreSQL run one cycle over 500 accounts in chunks claimed with SKIP LOCKED; a worker stopped mid-chunk leaves nothing half-done")
    func threeInstancesShareOneCycleInChunks() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        let stopped = LockedTarget()
        try await KeelTestApp.run(on: .postgres, configure: { configuration in
            configuration.runWorker = false
            configuration.settings.cycle.chunkSize = 25
        }) { app in
            let token = try await app.login()
            var hashes: [String] = []
            for index in 0..<500 {
                // One in ten trades at once; the others plan a batch that waits for approval.
                let scenario = try await Self.client(app, autoApprove: index % 10 == 0, factory: Factory(seed: UInt64(5_000 + index)))
                hashes.append(scenario.accountHash)
            }
            let started = try await app.request(.POST, "/api/autonomous/run", token: token, json: [:])
            let cycleID = try #require(started.object.string("cycle_id"))
            try await app.secondInstance { _ in
                // The third worker stops its first chunk right after an account's orders were sent (as a worker shutting
                // down mid-chunk does); the chunk goes back to the queue and another worker finishes it.
                try await app.secondInstance(configure: { configuration in
                    configuration.cycleFaults = CycleFaults { step, scope in step == .execution && stopped.firstCrash(scope: scope) }
                }) { _ in
                    await app.services.runner.start()
                    _ = try await Self.finished(app, token: token, cycleID: cycleID, timeout: 600)
                }
            }
            #expect(stopped.crashed, "a chunk was stopped mid-way")
            let detail = try await app.request(.GET, "/api/autonomous/runs/\(cycleID)", token: token).object
            let cycle = try #require(detail["cycle"] as? [String: Any])
            #expect(cycle.string("status") == "completed" && cycle.int("accounts_done") == 500, "\(cycle)")
            let accounts = detail.objects("accounts")
            #expect(accounts.count == 500)
            #expect(Set(accounts.compactMap { $0.string("account_hash") }) == Set(hashes))
            #expect(accounts.allSatisfy { ["completed", "awaiting_approval"].contains($0.string("status") ?? "") },
                    "\(accounts.filter { !["completed", "awaiting_approval"].contains($0.string("status") ?? "") }.prefix(3))")
            // Each account was taken by one chunk job; only the stopped chunk's accounts were taken twice, by the same job.
            let rerun = accounts.filter { $0.int("runs") != 1 }
            #expect(!rerun.isEmpty && rerun.count <= 25 && rerun.allSatisfy { $0.int("runs") == 2 }, "\(rerun.count) accounts ran again")
            #expect(try await app.count("jobs", where: "kind = 'cycle.chunk' AND status = 'succeeded'") == 20)
            #expect(try await app.count("jobs", where: "kind = 'cycle.account'") == 0)
            #expect(try await app.count("trade_batches", where: "cycle_id = '\(cycleID)'") == 500, "one batch per account")
            #expect(try await app.count("cycle_steps", where: "cycle_id = '\(cycleID)' AND status = 'running'") == 0, "no step left half-done")
            let duplicates = try await app.count("(SELECT client_order_key FROM broker_calls WHERE operation = 'place_order' GROUP BY client_order_key HAVING COUNT(*) > 1) d")
            #expect(duplicates == 0, "no order was sent twice")
            let unsent = try await app.count("batch_orders o JOIN trade_batches t ON t.batch_id = o.batch_id",
                                              where: "t.cycle_id = '\(cycleID)' AND t.status NOT IN ('pending_approval', 'rejected') AND o.status IN ('planned', 'submitting', 'unknown')")
            #expect(unsent == 0, "every approved batch's orders were sent and settled")
        }
    }
}

/// The kill-switch hook's switch and the services it acts through.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value: KeelServices?

    var isSet: Bool { lock.withLock { value != nil } }
    var services: KeelServices? { lock.withLock { value } }
    func set(_ services: KeelServices) { lock.withLock { value = services } }
}

/// Which step of which scope the crash hook kills once.
final class LockedTarget: @unchecked Sendable {
    private let lock = NSLock()
    private var step: CycleStep?
    private var scope: String?
    private(set) var crashed = false

    func arm(step: CycleStep, scope: String) {
        lock.withLock { self.step = step; self.scope = scope; crashed = false }
    }

    /// True every time for the armed step and scope (a fault that does not go away).
    func matches(step: CycleStep, scope: String) -> Bool {
        lock.withLock { step == self.step && scope == self.scope }
    }

    /// True once, for the first scope it is asked about.
    func firstCrash(scope: String) -> Bool {
        lock.withLock {
            guard !crashed else { return false }
            crashed = true
            self.scope = scope
            return true
        }
    }

    func shouldCrash(step: CycleStep, scope: String) -> Bool {
        lock.withLock {
            guard !crashed, step == self.step, scope == self.scope else { return false }
            crashed = true
            return true
        }
    }
}
