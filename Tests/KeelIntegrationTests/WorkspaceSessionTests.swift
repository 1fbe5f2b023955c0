import Foundation
import KeelTestSupport
import Testing
import KeelWeb
import Vapor

/// The workspace's sign-in through real requests: session cookie flags, CSRF on every form, redirects that keep
/// the page asked for, the overview's figures, roles.
@Suite("Workspace session")
struct WorkspaceSessionTests {
    static func signIn(_ app: KeelTestApp, user: String = TestFixtures.advisorUserID, password: String = TestFixtures.advisorPassword,
                       next: String = "/app") async throws -> (page: BrowserResponse, session: String?) {
        let form = try await app.browse(.GET, "/app/sign-in?next=\(next)")
        let preSession = try #require(form.cookie("keel_csrf"))
        let token = try #require(form.field("csrf"))
        let posted = try await app.browse(.POST, "/app/sign-in", cookies: ["keel_csrf": preSession],
                                          form: ["user_id": user, "password": password, "csrf": token, "next": next])
        return (posted, posted.cookie("keel_session"))
    }

    @Test("sign-in sets an HttpOnly, SameSite=Strict session; pages need it; forms need the CSRF token", arguments: TestDatabase.available)
    func sessionAndCSRF(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let anonymous = try await app.browse(.GET, "/app")
            #expect(anonymous.status == .seeOther && anonymous.location == "/app/sign-in?next=%2Fapp", "\(anonymous.status) \(anonymous.location ?? "")")

            let form = try await app.browse(.GET, "/app/sign-in?next=/app")
            #expect(form.status == .ok && form.body.contains("<label for=\"user_id\">"))
            let stale = try await app.browse(.POST, "/app/sign-in", cookies: ["keel_csrf": "other"],
                                             form: ["user_id": "advisor", "password": TestFixtures.advisorPassword, "csrf": form.field("csrf") ?? ""])
            #expect(stale.cookie("keel_session") == nil && stale.body.contains("stale"), "a form from elsewhere does not sign in")

            let wrong = try await Self.signIn(app, password: "not-the-password")
            #expect(wrong.session == nil && wrong.page.body.contains("value=\"advisor\""), "what was typed is kept")
            #expect(wrong.page.body.contains("class=\"error\""))

            let (signedIn, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            #expect(signedIn.status == .seeOther && signedIn.location == "/app")
            let flags = try #require(signedIn.setCookies["keel_session"]).lowercased()
            #expect(flags.contains("httponly") && flags.contains("samesite=strict"), "\(flags)")

            let overview = try await app.browse(.GET, "/app", cookies: ["keel_session": cookie])
            #expect(overview.status == .ok)
            #expect(overview.body.contains("Assets under management") && overview.body.contains("<svg class=\"chart\""))
            #expect(overview.body.utf8.count < 200_000)

            // A sign-out without the page's token is refused (back to sign-in, keeping the target); with it, the session ends.
            let forged = try await app.browse(.POST, "/app/sign-out", cookies: ["keel_session": cookie], form: ["csrf": "forged"])
            #expect(forged.status == .seeOther && forged.location?.hasPrefix("/app/sign-in?expired=1") == true)
            #expect(try await app.browse(.GET, "/app", cookies: ["keel_session": cookie]).status == .ok, "still signed in")
            let out = try await app.browse(.POST, "/app/sign-out", cookies: ["keel_session": cookie], form: ["csrf": overview.field("csrf") ?? ""])
            #expect(out.status == .seeOther && out.location == "/app/sign-in")
            #expect(try await app.browse(.GET, "/app", cookies: ["keel_session": cookie]).status == .seeOther, "the token is revoked")
        }
    }

    @Test("a workspace page that fails answers an HTML page in the chrome, with the status and the reason; the API keeps JSON",
          arguments: TestDatabase.available)
    func workspaceErrorsAreHTML(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let cookie = try #require(try await Self.signIn(app).session)
            for (path, says) in [("/app/clients/987654", "There is no such client"), ("/app/no-such-page", "Not found")] {
                let page = try await app.browse(.GET, path, cookies: ["keel_session": cookie])
                #expect(page.status == .notFound, "\(path): \(page.status)")
                #expect(page.body.hasPrefix("<!DOCTYPE html>"), "\(path): \(page.body.prefix(200))")
                #expect(page.body.contains(says) && page.body.contains("href=\"/app"), "\(path)")
                #expect(!page.body.contains("\"error\":"), "no JSON in the page")
            }
            // A value the page refuses (a NUL in a query): 422 as a page naming the parameter.
            let refused = try await app.browse(.GET, "/app/data?symbol=A%00B", cookies: ["keel_session": cookie])
            #expect(refused.status == .unprocessableEntity && refused.body.hasPrefix("<!DOCTYPE html>") && refused.body.contains("symbol"), "\(refused.body.prefix(300))")
            let api = try await app.request(.GET, "/api/clients/987654", token: try await app.login())
            #expect(api.status == .notFound && api.errorCode == "not_found", "\(api)")
        }
    }

    @Test("after sign-in the page asked for opens; targets outside the workspace are refused", arguments: TestDatabase.available)
    func nextTargets(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let (page, _) = try await Self.signIn(app, next: "https://evil.example/x")
            #expect(page.location == "/app", "an outside target goes home")
            let (other, _) = try await Self.signIn(app, next: "//evil.example")
            #expect(other.location == "/app")
        }
    }

    @Test("the approval queue shows a waiting batch with its orders, costs, checks and lineage; reject needs a reason; approve works",
          arguments: TestDatabase.available)
    func approvalQueue(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batch = try await scenario.rebalance(app)
            let batchID = try #require(batch.object.string("batch_id"), "\(batch)")
            let (_, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            let queue = try await app.browse(.GET, "/app/approvals", cookies: ["keel_session": cookie])
            #expect(queue.status == .ok)
            #expect(queue.body.contains(batchID) && queue.body.contains("Pre-trade checks") && queue.body.contains("Estimated costs"))
            #expect(queue.body.contains("<label for=\"reason-\(batchID)\">"))
            #expect(queue.body.contains("<summary>Dry-run preview: cash $100,000 → $") && queue.body.contains("Fill price"), "the dry-run preview")
            #expect(queue.body.contains("Regime when planned</th><td>") && queue.body.contains("(SPY, confidence "), "the regime in the lineage")
            let (calls, orders) = (try await app.count("broker_calls"), try await app.count("paper_broker_orders"))
            #expect(calls == 0 && orders == 0, "a preview sends nothing")
            let csrf = try #require(queue.field("csrf"))

            let noReason = try await app.browse(.POST, "/app/approvals/\(batchID)/reject", cookies: ["keel_session": cookie], form: ["csrf": csrf, "reason": " "])
            #expect(noReason.status == .seeOther && noReason.location?.contains("reject_error=") == true, "\(noReason.location ?? "")")
            let shown = try await app.browse(.GET, noReason.location ?? "/app/approvals", cookies: ["keel_session": cookie])
            #expect(shown.body.contains("A reason is required"))

            let forged = try await app.browse(.POST, "/app/approvals/\(batchID)/approve", cookies: ["keel_session": cookie], form: ["csrf": "x"])
            #expect(forged.location?.hasPrefix("/app/sign-in?expired=1") == true, "a forged form approves nothing")
            #expect(try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token).object.string("status") == "pending_approval")

            let approved = try await app.browse(.POST, "/app/approvals/\(batchID)/approve", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(approved.status == .seeOther && approved.location == "/app/approvals?done=approved")
            #expect(try await app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: scenario.token).object.string("status") == "approved")
            let again = try await app.browse(.POST, "/app/approvals/\(batchID)/approve", cookies: ["keel_session": cookie], form: ["csrf": csrf])
            #expect(again.location == "/app/approvals?error=invalid_batch_state")
            let after = try await app.browse(.GET, "/app/approvals?done=approved", cookies: ["keel_session": cookie])
            #expect(after.body.contains("was approved") && !after.body.contains(batchID))
        }
    }

    @Test("clients: onboarding keeps what was typed and shows the error beside its field; the directory searches; a client page shows its holdings; another client's page is closed",
          arguments: TestDatabase.available)
    func clientPages(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let (_, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            let directory = try await app.browse(.GET, "/app/clients", cookies: ["keel_session": cookie])
            #expect(directory.status == .ok && directory.body.contains("Onboard a client"))
            let csrf = try #require(directory.field("csrf"))

            let bad = try await app.browse(.POST, "/app/clients", cookies: ["keel_session": cookie],
                                           form: ["csrf": csrf, "first_name": "Grace", "last_name": "Hopper", "email": "not-an-email", "risk_tolerance": "moderate"])
            #expect(bad.status == .ok && bad.body.contains("value=\"Grace\"") && bad.body.contains("value=\"not-an-email\""), "what was typed is kept")
            #expect(bad.body.contains("id=\"email-error\">") && !bad.body.contains("id=\"email-error\"></p>"), "the email error shows beside the field")

            let created = try await app.browse(.POST, "/app/clients", cookies: ["keel_session": cookie],
                                               form: ["csrf": csrf, "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.com", "risk_tolerance": "aggressive"])
            #expect(created.status == .seeOther && created.location?.hasPrefix("/app/clients/") == true, "\(created.status)")
            let search = try await app.browse(.GET, "/app/clients?q=HOPPER", cookies: ["keel_session": cookie])
            #expect(search.body.contains("Grace Hopper") && search.body.contains("1 client,"), "search ignores case")
            let none = try await app.browse(.GET, "/app/clients?q=%25'%20OR%201=1", cookies: ["keel_session": cookie])
            #expect(none.status == .ok && none.body.contains("0 clients"), "the search text is data, never SQL")

            // A traded account shows its holdings with their targets.
            let scenario = try await TradingScenario.make(app)
            let batch = try await scenario.approvedBatch(app)
            _ = try await scenario.execute(app, batchID: batch, dryRun: false)
            let page = try await app.browse(.GET, "/app/clients/\(scenario.clientID)", cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("Holdings against target weights") && page.body.contains("<rect"), "the allocation chart")
            #expect(page.body.contains(scenario.accountHash) && page.body.contains("executed"))
        }
    }

    @Test("jobs and alerts pages list what the API lists; a client login is told they are for advisors", arguments: TestDatabase.available)
    func operationsPages(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            let scenario = try await TradingScenario.make(app)
            _ = try await app.request(.POST, "/api/autonomous/run", token: scenario.token, json: [:])
            let (_, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            let jobs = try await app.browse(.GET, "/app/jobs", cookies: ["keel_session": cookie])
            #expect(jobs.status == .ok && jobs.body.contains("cycle.run") && jobs.body.contains("queued"))
            #expect(jobs.body.contains("http-equiv=\"refresh\""), "a queued job makes the page refresh itself")
            let alerts = try await app.browse(.GET, "/app/alerts", cookies: ["keel_session": cookie])
            #expect(alerts.status == .ok && alerts.body.contains("Open (") && alerts.body.contains("Webhook deliveries"))
        }
    }

    @Test("the autonomous page: regime chart, a cycle started from the page, pause and resume, an override refused for a past day, the kill switch",
          arguments: TestDatabase.available)
    func autonomousPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let (_, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            let page = try await app.browse(.GET, "/app/autonomous", cookies: ["keel_session": cookie])
            #expect(page.status == .ok && page.body.contains("Market regime over SPY") && page.body.contains("<polyline"))
            let csrf = try #require(page.field("csrf"))
            func post(_ action: String, _ form: [String: String] = [:]) async throws -> String? {
                try await app.browse(.POST, "/app/autonomous/\(action)", cookies: ["keel_session": cookie], form: form.merging(["csrf": csrf]) { a, _ in a }).location
            }
            #expect(try await post("run") == "/app/autonomous?done=run")
            try await app.eventually("the cycle started from the page") {
                try await app.count("cycle_runs", where: "status = 'completed'") == 1
            }
            let after = try await app.browse(.GET, "/app/autonomous", cookies: ["keel_session": cookie])
            #expect(after.body.contains(scenario.accountHash) && after.body.contains("strategy_selection"), "the cycle's accounts and steps")

            #expect(try await post("pause", ["client_id": String(scenario.clientID), "reason": "on holiday"]) == "/app/autonomous?done=pause")
            let paused = try await app.browse(.GET, "/app/autonomous", cookies: ["keel_session": cookie]).body
            #expect(paused.contains("(on holiday)") && paused.contains("<select name=\"client_id\" id=\"pause-client\">")
                    && paused.contains("<option value=\"\(scenario.clientID)\">"), "clients are picked by name, and the paused one is listed")
            #expect(try await post("resume", ["client_id": String(scenario.clientID)]) == "/app/autonomous?done=resume")
            #expect(try await post("override", ["client_id": String(scenario.clientID), "strategy": "balanced", "until": "2020-01-01", "reason": "x"])
                    == "/app/autonomous?error=until")
            #expect(try await post("override", ["client_id": "999999", "strategy": "balanced", "until": "2026-06-20", "reason": "x"]) == "/app/autonomous?error=client_id")
            #expect(try await post("override", ["client_id": String(scenario.clientID), "strategy": "balanced", "until": "2026-06-20", "reason": "call"])
                    == "/app/autonomous?done=override")
            #expect(try await post("kill-switch", ["engaged": "true"]) == "/app/autonomous?done=kill-switch")
            let switches = try await app.request(.GET, "/api/system/trading", token: scenario.token).object
            #expect(switches["kill_switch_engaged"] as? Bool == true)
            #expect(try await app.browse(.GET, "/app/autonomous", cookies: ["keel_session": cookie]).body.contains("Release the kill switch"))
        }
    }

    @Test("goals: a person picked from the list, a goal created from the page with its progress, cancelled; a client sees only its own",
          arguments: TestDatabase.available)
    func goalsPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let (_, session) = try await Self.signIn(app)
            let cookie = try #require(session)
            let list = try await app.browse(.GET, "/app/goals", cookies: ["keel_session": cookie])
            #expect(list.status == .ok && list.body.contains("<label for=\"user\">") && !list.body.contains("New goal"), "pick a person first")
            let user = "client:\(scenario.clientID)"
            let encoded = user.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let page = try await app.browse(.GET, "/app/goals?user=\(encoded)", cookies: ["keel_session": cookie])
            #expect(page.body.contains("New goal") && page.body.contains(scenario.accountHash))
            let csrf = try #require(page.field("csrf"))
            let bad = try await app.browse(.POST, "/app/goals", cookies: ["keel_session": cookie],
                                           form: ["csrf": csrf, "user": user, "name": "Five", "goal_type": "monthly_return", "target_value": "abc", "account_hash": scenario.accountHash])
            #expect(bad.location?.hasSuffix("error=target_value") == true)
            let forged = try await app.browse(.POST, "/app/goals", cookies: ["keel_session": cookie],
                                              form: ["csrf": csrf, "user": "someone-else", "name": "x", "goal_type": "monthly_return", "target_value": "5", "account_hash": scenario.accountHash])
            #expect(forged.location?.hasSuffix("error=failed") == true, "only people from the list")
            let created = try await app.browse(.POST, "/app/goals", cookies: ["keel_session": cookie],
                                               form: ["csrf": csrf, "user": user, "name": "Five a month", "goal_type": "monthly_return", "target_value": "5",
                                                      "account_hash": scenario.accountHash])
            #expect(created.location?.hasSuffix("done=created") == true, "\(created.location ?? "")")
            let shown = try await app.browse(.GET, "/app/goals?user=\(encoded)", cookies: ["keel_session": cookie])
            #expect(shown.body.contains("Five a month") && shown.body.contains("<progress") && shown.body.contains("risk factor"))
            let goalID = try #require(shown.body.range(of: "/app/goals/").map { String(shown.body[$0.upperBound...].prefix(36)) })
            let cancelled = try await app.browse(.POST, "/app/goals/\(goalID)/cancel", cookies: ["keel_session": cookie], form: ["csrf": csrf, "user": user])
            #expect(cancelled.location?.hasSuffix("done=cancelled") == true)
            #expect(try await app.browse(.GET, "/app/goals?user=\(encoded)", cookies: ["keel_session": cookie]).body.contains("· cancelled"))
        }
    }

    @Test("every workspace route the enum names is registered, and every /app route the server registers is one of them")
    func routesComeFromTheEnum() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let registered = Set(app.app.routes.all.map { $0.path.map(\.description) }.filter { $0.first == "app" }.map { Array($0.dropFirst()) })
            let named = Set(WorkspaceRoute.everyRouteForTests.map(\.pattern))
            #expect(registered == named, "registered only: \(registered.subtracting(named)); named only: \(named.subtracting(registered))")
        }
    }
}
