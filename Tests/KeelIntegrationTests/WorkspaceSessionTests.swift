import Foundation
import KeelTestSupport
import Testing
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
}
