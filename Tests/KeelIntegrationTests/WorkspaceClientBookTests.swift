import Foundation
import KeelTestSupport
import Testing
import Vapor

/// A client's page as an advisor works it: preferences edited (what was typed kept, errors beside the field),
/// a paper account opened from the page, the equity and drawdown since inception after a traded batch.
@Suite("Workspace client book")
struct WorkspaceClientBookTests {
    @Test("preferences edited from the client page; a refused value is kept with its error; a paper account opened; the equity since inception after trading",
          arguments: TestDatabase.available)
    func clientBook(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let path = "/app/clients/\(scenario.clientID)"
            let page = try await app.browse(.GET, path, cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("Save preferences") && page.body.contains("Open a paper account"))
            #expect(page.body.contains("Schwab linking is off"), "no Schwab app key in this server")
            let csrf = try #require(page.field("csrf"))

            let refused = try await app.browse(.POST, "\(path)/preferences", cookies: ["keel_session": cookie], form: [
                "csrf": csrf, "portfolio_id": "1", "max_positions": "12", "max_weight": "1.5", "cash_buffer": "0.02", "drift_threshold": "0.05",
                "max_drawdown_limit": "0", "derisk_action": "defensive", "trading_mode": "paper", "excluded_symbols": "tsla", "require_approval": "true"])
            #expect(refused.status == .ok && refused.body.contains("id=\"pref-max_weight-error\">max_weight must be"), "the API's error beside the field")
            #expect(refused.body.contains("value=\"1.5\"") && refused.body.contains("value=\"12\""), "what was typed is kept")
            let notNumber = try await app.browse(.POST, "\(path)/preferences", cookies: ["keel_session": cookie], form: ["csrf": csrf, "max_positions": "a dozen"])
            #expect(notNumber.body.contains("id=\"pref-max_positions-error\">max_positions must be a whole number"))

            let saved = try await app.browse(.POST, "\(path)/preferences", cookies: ["keel_session": cookie], form: [
                "csrf": csrf, "portfolio_id": "2", "max_positions": "8", "max_weight": "0.2", "cash_buffer": "0.03", "drift_threshold": "0.04",
                "max_drawdown_limit": "0.15", "derisk_action": "cash", "trading_mode": "paper", "excluded_symbols": "tsla, gme"])
            #expect(saved.location == "\(path)?done=preferences", "\(saved.status) \(saved.body.prefix(300))")
            let stored = try await app.request(.GET, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token).object
            #expect(stored.int("portfolio_id") == 2 && stored.int("max_positions") == 8 && stored.double("max_drawdown_limit") == 0.15)
            #expect(stored["require_approval"] as? Bool == false, "an unticked box turns approval off")
            #expect(Set((stored["excluded_symbols"] as? [String]) ?? []) == ["TSLA", "GME"])
            let shown = try await app.browse(.GET, "\(path)?done=preferences", cookies: ["keel_session": cookie])
            #expect(shown.body.contains("The preferences are saved.") && shown.body.contains("value=\"GME, TSLA\""))

            let badCash = try await app.browse(.POST, "\(path)/accounts", cookies: ["keel_session": cookie], form: ["csrf": csrf, "nickname": "Second", "starting_cash": "lots"])
            #expect(badCash.body.contains("id=\"paper-starting_cash-error\">starting_cash must be a number") && badCash.body.contains("value=\"Second\""))
            let opened = try await app.browse(.POST, "\(path)/accounts", cookies: ["keel_session": cookie], form: ["csrf": csrf, "nickname": "Second", "starting_cash": "25000"])
            #expect(opened.location == "\(path)?done=account")
            #expect(try await app.count("brokerage_accounts", where: "client_id = \(scenario.clientID)") == 2)
            let schwab = try await app.browse(.POST, "\(path)/schwab", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(schwab.location == "\(path)?error=schwab_not_configured")

            // Back on the first portfolio with approval: proposed from the page, approved in the queue, executed from the page.
            _ = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token, json: ["portfolio_id": 1, "require_approval": true])
            let proposed = try await app.browse(.POST, "\(path)/rebalance", cookies: ["keel_session": cookie], form: ["csrf": csrf, "account_hash": scenario.accountHash])
            let queueLink = try #require(proposed.location)
            #expect(queueLink.hasPrefix("/app/approvals#batch-"), "\(queueLink)")
            let batch = String(queueLink.dropFirst("/app/approvals#batch-".count))
            let pending = try await app.browse(.GET, path, cookies: ["keel_session": cookie])
            #expect(pending.body.contains("href=\"/app/approvals#batch-\(batch)\"") && !pending.body.contains("/batches/\(batch)/execute"), "review, not execute, while it waits")
            #expect(try await app.browse(.POST, "/app/approvals/\(batch)/approve", cookies: ["keel_session": cookie], form: ["csrf": csrf]).location == "/app/approvals?done=approved")
            let approved = try await app.browse(.GET, path, cookies: ["keel_session": cookie])
            #expect(approved.body.contains("action=\"/app/clients/\(scenario.clientID)/batches/\(batch)/execute\""))
            let forged = try await app.browse(.POST, "/app/clients/999/batches/\(batch)/execute", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(forged.location == "/app/clients/999?error=execution", "a batch runs only from its own client's page")
            let executed = try await app.browse(.POST, "\(path)/batches/\(batch)/execute", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(executed.location == "\(path)?done=executed", "\(executed.location ?? "")")
            #expect(try await app.count("trade_batches", where: "batch_id = '\(batch)' AND status = 'executed'") == 1)
            let again = try await app.browse(.POST, "\(path)/batches/\(batch)/execute", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(again.location == "\(path)?error=execution", "an executed batch is never sent twice")
            let traded = try await app.browse(.GET, "\(path)?done=executed", cookies: ["keel_session": cookie])
            #expect(traded.body.contains("The batch was executed"))
            #expect(traded.body.contains("Equity and drawdown since inception") && traded.body.contains("Value since inception"))
            #expect(traded.body.contains("Drawdown since inception") && traded.body.contains("<polyline"), "the curves are drawn")
        }
    }
}
