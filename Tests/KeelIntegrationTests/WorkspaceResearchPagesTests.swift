import Foundation
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing
import Vapor

/// The workspace's research pages through real requests: models (training from the form, evaluation, deploy
/// and rollback behind a confirmation), data (runs, quality issues, a price chart) and backtests (the form, the
/// report).
@Suite("Workspace research pages")
struct WorkspaceResearchPagesTests {
    static func session(_ app: KeelTestApp, user: String = TestFixtures.advisorUserID, password: String = TestFixtures.advisorPassword) async throws -> String {
        try #require(try await WorkspaceSessionTests.signIn(app, user: user, password: password).session)
    }

    @Test("models: the training form keeps what was typed and shows the error beside its field; a version trained from it shows its evaluation; deploy and rollback ask first",
          arguments: TestDatabase.available)
    func modelsPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let cookie = try await Self.session(app)
            let page = try await app.browse(.GET, "/app/models", cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("Train a model") && page.body.contains("No versions yet"))
            let csrf = try #require(page.field("csrf"))
            let symbols = MLRLPipelineTests.symbols("P").joined(separator: ",")
            let typed = try await app.browse(.POST, "/app/models/train", cookies: ["keel_session": cookie],
                                             form: ["csrf": csrf, "model_type": "ridge", "symbols": symbols, "from": "2017-07-14", "to": "2019-06-13", "horizon_days": "twenty"])
            #expect(typed.status == .ok && typed.body.contains("horizon_days must be a whole number"))
            #expect(typed.body.contains("value=\"twenty\"") && typed.body.contains("value=\"2017-07-14\""), "what was typed is kept")
            let missing = try await app.browse(.POST, "/app/models/train", cookies: ["keel_session": cookie],
                                               form: ["csrf": csrf, "model_type": "ridge", "symbols": symbols, "to": "2019-06-13", "horizon_days": "20"])
            #expect(missing.body.contains("id=\"train-from-error\">from is required"), "the API's message beside the from field: \(missing.body.count)")

            func train() async throws -> String {
                let started = try await app.browse(.POST, "/app/models/train", cookies: ["keel_session": cookie],
                                                   form: ["csrf": csrf, "model_type": "ridge", "symbols": symbols, "from": "2017-07-14", "to": "2019-06-13", "horizon_days": "20"])
                let location = try #require(started.location)
                #expect(location.hasPrefix("/app/models?model=") && location.hasSuffix("&done=training"))
                let modelID = String(location.dropFirst("/app/models?model=".count).prefix { $0 != "&" })
                try await app.eventually("training of \(modelID)", timeout: 120) {
                    try await app.count("ml_models", where: "model_id = '\(modelID)' AND status <> 'training'") == 1
                }
                return modelID
            }
            let first = try await train()
            let shown = try await app.browse(.GET, "/app/models?model=\(first)", cookies: ["keel_session": cookie])
            #expect(shown.body.contains("Gate passed") && shown.body.contains("rank IC per walk-forward window") && shown.body.contains("<polyline"))
            #expect(shown.body.contains("momentum_12_1") && shown.body.contains("Sharpe against the baselines"))
            let confirm = try await app.browse(.GET, "/app/models?model=\(first)&confirm=deploy", cookies: ["keel_session": cookie])
            #expect(confirm.body.contains("Deploy ridge/v1?") && confirm.body.contains("action=\"/app/models/\(first)/deploy\""))
            let deployed = try await app.browse(.POST, "/app/models/\(first)/deploy", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(deployed.location?.hasSuffix("done=deployed") == true)
            let second = try await train()
            #expect(try await app.browse(.POST, "/app/models/\(second)/deploy", cookies: ["keel_session": cookie], form: ["csrf": csrf]).location?.hasSuffix("done=deployed") == true)
            let after = try await app.browse(.GET, "/app/models", cookies: ["keel_session": cookie])
            #expect(after.body.contains("ridge/v2") && after.body.contains("Roll back…"))
            let rollbackConfirm = try await app.browse(.GET, "/app/models?confirm=rollback&family=ml", cookies: ["keel_session": cookie])
            #expect(rollbackConfirm.body.contains("Roll back the return model?"))
            let rolled = try await app.browse(.POST, "/app/models/rollback", cookies: ["keel_session": cookie], form: ["csrf": csrf, "family": "ml"])
            #expect(rolled.location == "/app/models?done=rolled_back")
            let history = try await app.browse(.GET, "/app/models", cookies: ["keel_session": cookie])
            #expect(history.body.contains(">rollback<") && history.body.contains("The family was rolled back") == false, "no notice without the query")
            #expect(try await app.count("ml_models", where: "model_id = '\(first)' AND status = 'deployed'") == 1, "the first version serves again")
            let policy = try await app.browse(.POST, "/app/models/train", cookies: ["keel_session": cookie],
                                              form: ["csrf": csrf, "model_type": "rl_policy", "symbols": symbols, "from": "2017-07-14", "to": "2019-06-13", "horizon_days": "20"])
            #expect(policy.location?.hasSuffix("&done=training") == true, "the RL policy trains from the same form")
            #expect(try await app.count("ml_models", where: "family = 'rl'") == 1)
            let forged = try await app.browse(.POST, "/app/models/\(second)/deploy", cookies: ["keel_session": cookie], form: ["csrf": "forged"])
            #expect(forged.status == .seeOther && forged.location?.hasPrefix("/app/sign-in") == true, "a forged form deploys nothing")
            #expect(try await app.count("ml_models", where: "model_id = '\(second)' AND status = 'deployed'") == 0)
        }
    }

    @Test("data: pipeline runs with their progress, quality issues by severity, a symbol's prices with indicators", arguments: TestDatabase.available)
    func dataPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let run = try await app.request(.POST, "/api/data/pipeline/runs", token: token,
                                            json: ["source": "simulator", "mode": "incremental", "symbols": ["SPY", "AAPL"], "wait": true])
            #expect(run.status == .ok, "\(run)")
            let now = Date()
            try await app.database.write { session in
                try await session.pipeline.recordIssues([QualityIssueRecord(issueID: 0, runID: nil, symbol: "AAPL", interval: "1d", timestamp: now, kind: "ohlc_inconsistent",
                                                                            severity: "critical", action: "quarantine", detail: "high below low", detectedAt: now)])
            }
            let cookie = try await Self.session(app)
            let page = try await app.browse(.GET, "/app/data", cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("incremental") && page.body.contains("succeeded") && page.body.contains("<progress"))
            #expect(page.body.contains("SPY: close, 20-day average and Bollinger bands") && page.body.contains("RSI 14"))
            #expect(page.body.contains("Quality issues: critical") && page.body.contains("high below low"))
            let critical = try await app.browse(.GET, "/app/data?severity=critical&symbol=AAPL", cookies: ["keel_session": cookie])
            #expect(critical.body.contains("AAPL: close") && critical.body.contains("Quality issues: critical"))
            let unknown = try await app.browse(.GET, "/app/data?symbol=%3Cscript%3E", cookies: ["keel_session": cookie])
            #expect(unknown.status == .ok && unknown.body.contains("No stored bars for &lt;SCRIPT&gt;") && !unknown.body.contains("<SCRIPT>"))
        }
    }

    @Test("backtests: a bad form keeps what was typed with the error beside the field; a run from the form shows its report with charts and trades",
          arguments: TestDatabase.available)
    func backtestsPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let cookie = try await Self.session(app)
            let page = try await app.browse(.GET, "/app/backtests", cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("Run a backtest") && page.body.contains("model:1"))
            let csrf = try #require(page.field("csrf"))
            let bad = try await app.browse(.POST, "/app/backtests", cookies: ["keel_session": cookie],
                                           form: ["csrf": csrf, "strategy": "momentum", "symbols": "AAPL, not a symbol!", "cash": "100000", "benchmark": "SPY"])
            #expect(bad.status == .ok && bad.body.contains("id=\"bt-symbols-error\">symbols[1] must be"), "the error beside the symbols field")
            #expect(bad.body.contains("value=\"AAPL, not a symbol!\""))
            let cash = try await app.browse(.POST, "/app/backtests", cookies: ["keel_session": cookie],
                                            form: ["csrf": csrf, "strategy": "momentum", "symbols": "AAPL", "cash": "lots"])
            #expect(cash.body.contains("id=\"bt-cash-error\">cash must be a number"))
            let started = try await app.browse(.POST, "/app/backtests", cookies: ["keel_session": cookie],
                                               form: ["csrf": csrf, "strategy": "momentum", "symbols": "AAPL,MSFT,NVDA,AMD,TSLA,META,JPM,XOM", "cash": "100000", "benchmark": "SPY",
                                                      "slippage_bps": "5", "schwab_fees": "true"])
            let location = try #require(started.location)
            #expect(location.hasPrefix("/app/backtests?id="))
            let id = String(location.dropFirst("/app/backtests?id=".count))
            try await app.eventually("backtest \(id)") { try await app.count("backtests", where: "backtest_id = '\(id)' AND status <> 'running'") == 1 }
            let report = try await app.browse(.GET, location, cookies: ["keel_session": cookie])
            #expect(report.body.contains("momentum on AAPL, MSFT, NVDA, AMD, TSLA, META +2 · succeeded"), "\(report.body.count)")
            #expect(report.body.contains("Equity: momentum against SPY") && report.body.contains("Drawdown") && report.body.contains("Sharpe"))
            #expect(report.body.contains("Trades ("), "\(report.body.components(separatedBy: "class=\"grid\"").last?.prefix(1500) ?? "")")
            let created = try await app.request(.POST, "/api/users", token: try await app.loginAdmin(),
                                                json: ["user_id": "client-research", "password": "client-research-pw", "role": "client"])
            #expect(created.status == .ok, "\(created)")
            let clientCookie = try await Self.session(app, user: "client-research", password: "client-research-pw")
            let closed = try await app.browse(.GET, "/app/backtests", cookies: ["keel_session": clientCookie])
            #expect(closed.body.contains("Backtests are run by advisors.") && !closed.body.contains("momentum on"))
        }
    }
}
