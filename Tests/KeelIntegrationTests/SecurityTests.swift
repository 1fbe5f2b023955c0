import Foundation
import KeelServices
@_spi(RawSQL) import KeelStore
import FluentKit
import KeelTestSupport
import NIOCore
import Testing
import Vapor
import VaporTesting

@Suite("Security")
struct SecurityTests {
    /// Everything of client B that a request from another tenant could change.
    static func bState(_ app: KeelTestApp, _ tenants: TenantScenario) async throws -> String {
        let b = tenants.b
        let queries = [
            "SELECT first_name, last_name, email, status, user_id FROM clients WHERE client_id = \(b.scenario.clientID)",
            "SELECT status, cash, halted_reason FROM brokerage_accounts WHERE account_hash = '\(b.scenario.accountHash)'",
            "SELECT batch_id, status FROM trade_batches WHERE client_id = \(b.scenario.clientID) ORDER BY batch_id",
            "SELECT goal_id, status, name, target_value, max_factor, priority FROM financial_goals WHERE client_id = \(b.scenario.clientID) OR user_id = '\(b.login)' ORDER BY goal_id",
            "SELECT trade_id, status, quantity, exit_price FROM trades WHERE user_id = '\(b.login)' OR client_id = \(b.scenario.clientID) ORDER BY trade_id",
            "SELECT strategy_id, status FROM strategy_instances WHERE user_id = '\(b.login)' ORDER BY strategy_id",
            "SELECT user_id, role, active, password_hash FROM users WHERE user_id = '\(b.login)'",
            "SELECT COUNT(*) AS n FROM user_tokens WHERE user_id = '\(b.login)'",
            "SELECT key, value FROM system_state ORDER BY key",
            "SELECT max_positions, max_weight, trading_mode FROM client_preferences WHERE client_id = \(b.scenario.clientID)",
        ]
        var out = ""
        for query in queries {
            let text = try await app.database.read { session -> String in
                var lines = ""
                for row in try await session.sql.raw("\(unsafeRaw: query)").all() {
                    let cells = row.allColumns.map { column -> String in
                        if let text = try? row.decode(column: column, as: String.self) { return "\(column)=\(text)" }
                        if let number = try? row.decode(column: column, as: Double.self) { return "\(column)=\(number)" }
                        if let flag = try? row.decode(column: column, as: Bool.self) { return "\(column)=\(flag)" }
                        return "\(column)=?"
                    }
                    lines += cells.joined(separator: ",") + "\n"
                }
                return lines
            }
            out += text
        }
        return out
    }

    static func send(_ app: KeelTestApp, _ route: Route, tenants: TenantScenario, token: String?) async throws -> TestResponse {
        let path = tenants.path(for: route) + "?" + tenants.query
        let method = route.method
        let hasBody = method == .POST || method == .PUT || method == .PATCH
        return try await app.request(method, path, token: token, json: hasBody ? tenants.body : nil)
    }

    static let publicRoutes: Set<String> = ["GET /health", "GET /health/ready", "POST /api/auth/login", "GET /api/schwab/callback",
                                            "GET /", "GET /dashboard", "GET /dashboard/goals", "GET /openapi.json", "GET /docs",
                                            "GET /app/sign-in", "POST /app/sign-in"]

    /// The test app runs without Schwab: its routes answer 503 schwab_not_configured (after the access check), by design.
    static func honestlyUnavailable(_ route: Route, _ response: TestResponse) -> Bool {
        response.status == .serviceUnavailable && response.errorCode == "schwab_not_configured"
    }

    static func key(_ route: Route) -> String {
        "\(route.method.rawValue) /" + route.path.map(\.description).joined(separator: "/")
    }

    @Test("every registered route, called with another client's token or an unlinked client login, refuses B's data", arguments: TestDatabase.available)
    func tenantIsolationOnEveryRoute(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let tenants = try await TenantScenario.make(app)
            // The old generated identity of B cannot be registered, and an unlinked client-role login owns nothing.
            let squat = try await app.request(.POST, "/api/users", token: tenants.adminToken, json: [
                "user_id": "client-\(tenants.b.scenario.clientID)", "password": "squatting-password-1", "role": "client"])
            #expect(squat.status == .unprocessableEntity && squat.errorField == "user_id", "\(squat)")
            _ = try await app.request(.POST, "/api/users", token: tenants.adminToken, json: ["user_id": "mallory", "password": "mallory-long-secret-9", "role": "client"])
            let mallory = try await app.login("mallory", password: "mallory-long-secret-9")

            // Logout ends the sweeping session; the workspace's sign-in form answers its page (200) whatever is posted.
            let routes = app.app.routes.all.filter { !["POST /api/auth/logout", "POST /app/sign-in"].contains(Self.key($0)) }
            #expect(routes.count > 60, "the sweep covers the whole API: \(routes.count) routes")
            let before = try await Self.bState(app, tenants)
            for (who, token) in [("client A", tenants.a.token), ("unlinked client login", mallory)] {
                for route in routes {
                    let response = try await Self.send(app, route, tenants: tenants, token: token)
                    let name = "\(who): \(Self.key(route))"
                    #expect(response.status.code < 500 || Self.honestlyUnavailable(route, response), "\(name) -> \(response)")
                    guard (200..<300).contains(response.status.code) else { continue }
                    #expect(route.method == .GET, "\(name) accepted a change aimed at client B: \(response)")
                    for marker in tenants.bMarkers { #expect(!response.body.contains(marker), "\(name) leaked \(marker): \(response)") }
                }
            }
            #expect(try await Self.bState(app, tenants) == before, "nothing of client B changed")
            // B itself still reaches its own records.
            let own = try await app.request(.GET, "/api/goals/\(tenants.bGoalID)", token: tenants.b.token)
            #expect(own.status == .ok, "\(own)")

            // Unauthenticated: every route but the public ones answers 401.
            for route in app.app.routes.all {
                let response = try await Self.send(app, route, tenants: tenants, token: nil)
                if Self.publicRoutes.contains(Self.key(route)) {
                    for marker in tenants.bMarkers { #expect(!response.body.contains(marker), "public \(Self.key(route)) leaked \(marker)") }
                } else if Self.key(route).hasPrefix("GET /app") || Self.key(route).hasPrefix("POST /app") {
                    // Workspace pages use the session cookie, not a bearer token: without it they send the browser to sign in.
                    #expect(response.status == .seeOther, "\(Self.key(route)) without a session -> \(response)")
                    for marker in tenants.bMarkers { #expect(!response.body.contains(marker)) }
                } else {
                    #expect(response.status == .unauthorized, "\(Self.key(route)) without a token -> \(response)")
                }
            }

            // Staff of every role may act on B; whatever they send, no route fails with a 5xx.
            for token in [tenants.advisorToken, tenants.adminToken] {
                for route in routes {
                    let response = try await Self.send(app, route, tenants: tenants, token: token)
                    #expect(response.status.code < 500 || Self.honestlyUnavailable(route, response), "staff: \(Self.key(route)) -> \(response)")
                }
            }
        }
    }

    @Test("admin-only actions are refused to advisors and clients", arguments: TestDatabase.available)
    func roleMatrix(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let tenants = try await TenantScenario.make(app)
            let bLogin = tenants.b.login
            let adminOnly: [(HTTPMethod, String, [String: any Sendable]?)] = [
                (.PATCH, "/api/users/\(bLogin)", ["role": "advisor"]),
                (.POST, "/api/users/\(bLogin)/unlock", nil),
                (.POST, "/api/users", ["user_id": "another-advisor", "password": "another-long-secret-9", "role": "advisor"]),
                (.POST, "/api/system/reconcile/accounts/\(tenants.b.scenario.accountHash)/resolve", [:]),
                (.DELETE, "/api/clients/\(tenants.b.scenario.clientID)", nil),
            ]
            for (method, path, body) in adminOnly {
                for token in [tenants.advisorToken, tenants.a.token] {
                    let response = try await app.request(method, path, token: token, json: body)
                    #expect(response.status == .forbidden, "\(method) \(path) -> \(response)")
                }
            }
        }
    }

    @Test("failed logins are throttled per user with Retry-After and exponential back-off; an admin lifts the lockout", arguments: TestDatabase.available)
    func loginThrottling(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let admin = try await app.loginAdmin()
            _ = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "carol", "password": "carol-long-secret-9", "role": "client"])
            var statuses: [UInt] = []
            for _ in 0..<8 {
                statuses.append(try await app.request(.POST, "/api/auth/login", json: ["user_id": "carol", "password": "wrong-password-x"]).status.code)
            }
            #expect(Array(statuses.prefix(5)) == [401, 401, 401, 401, 401], "\(statuses)")
            #expect(statuses.dropFirst(6).allSatisfy { $0 == 429 }, "\(statuses)")
            let locked = try await app.request(.POST, "/api/auth/login", json: ["user_id": "CAROL", "password": "carol-long-secret-9"])
            #expect(locked.status == .tooManyRequests && locked.errorCode == "login_throttled", "even the right password waits: \(locked)")
            let retry = try await app.app.testing().sendRequest(.POST, "/api/auth/login", headers: ["Content-Type": "application/json"],
                                                                 body: ByteBuffer(string: #"{"user_id":"carol","password":"x"}"#))
            let seconds = Int(retry.headers.first(name: .retryAfter) ?? "") ?? 0
            #expect(seconds >= 1, "Retry-After: \(retry.headers)")

            // The lockout doubles: after waiting it out, one more failure locks for longer.
            app.clock.advance(by: TimeInterval(seconds) + 1)
            _ = try await app.request(.POST, "/api/auth/login", json: ["user_id": "carol", "password": "wrong-password-x"])
            let next = try await app.app.testing().sendRequest(.POST, "/api/auth/login", headers: ["Content-Type": "application/json"],
                                                                body: ByteBuffer(string: #"{"user_id":"carol","password":"x"}"#))
            #expect((Int(next.headers.first(name: .retryAfter) ?? "") ?? 0) > seconds, "back-off grows: \(next.headers)")

            #expect(try await app.request(.POST, "/api/users/carol/unlock", token: admin).status == .ok)
            _ = try await app.login("carol", password: "carol-long-secret-9")
        }
    }

    @Test("concurrent wrong passwords for one user all count, and none collides", arguments: TestDatabase.available)
    func concurrentFailuresAllCount(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let admin = try await app.loginAdmin()
            _ = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "heidi", "password": "heidi-long-secret-9", "role": "client"])
            let statuses = await withTaskGroup(of: UInt.self) { group in
                for index in 0..<12 {
                    group.addTask { (try? await app.request(.POST, "/api/auth/login", json: ["user_id": "heidi", "password": "wrong-\(index)-password"]).status.code) ?? 0 }
                }
                return await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(statuses)")
            let failures = try await app.database.read { try await $0.loginThrottles.find("user:heidi")?.failures }
            #expect(failures == statuses.filter { $0 == 401 }.count, "every checked wrong password counted once: \(statuses)")
            #expect(try await app.request(.POST, "/api/auth/login", json: ["user_id": "heidi", "password": "heidi-long-secret-9"]).status == .tooManyRequests)
        }
    }

    @Test("passwords: 12 characters, not common, not the user id, and no silent truncation at 72 bytes", arguments: TestDatabase.available)
    func passwordPolicy(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let admin = try await app.loginAdmin()
            for (password, why) in [("short-pw", "too short"), ("Password2024!", "common stem"), ("qwertyuiop123", "common"),
                                    ("danielle-user", "the user id"), ("aaaaaaaaaaaaaa", "repetitive"), ("123456789012", "a run")] {
                let response = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "danielle-user", "password": password, "role": "client"])
                #expect(response.status == .unprocessableEntity && response.errorField == "password", "\(why): \(response)")
            }
            let long = String(repeating: "correct-horse-", count: 6) + "ending-one"
            let sibling = String(repeating: "correct-horse-", count: 6) + "ending-two"
            #expect(long.utf8.count > 72 && long.prefix(72) == sibling.prefix(72))
            #expect(try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "eve.long", "password": long, "role": "client"]).status == .ok)
            _ = try await app.login("eve.long", password: long)
            let other = try await app.request(.POST, "/api/auth/login", json: ["user_id": "eve.long", "password": sibling])
            #expect(other.status == .unauthorized, "the bytes after 72 count: \(other)")
        }
    }

    @Test("user ids are folded to lower case, ASCII only, and reserved names are refused", arguments: TestDatabase.available)
    func userIdentities(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let admin = try await app.loginAdmin()
            let created = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "Frank.Miller", "password": "frank-long-secret-9", "role": "client"])
            #expect(created.object.string("user_id") == "frank.miller", "\(created)")
            let twin = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "FRANK.MILLER", "password": "frank-long-secret-9", "role": "client"])
            #expect(twin.status == .conflict, "\(twin)")
            _ = try await app.login("FRANK.miller", password: "frank-long-secret-9")
            for id in ["fr\u{0430}nk", "admin", "system", "client-7", "client:7", "no spaces"] {
                let response = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": id, "password": "frank-long-secret-9", "role": "client"])
                #expect(response.status == .unprocessableEntity || response.status == .conflict, "\(id): \(response)")
            }
        }
    }

    @Test("deactivation, re-activation, role change, revoked sessions and password changes take effect at once", arguments: TestDatabase.available)
    func userLifecycle(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let tenants = try await TenantScenario.make(app)
            let admin = tenants.adminToken, login = tenants.a.login, password = tenants.a.password
            let me = "/api/auth/me"
            #expect(try await app.request(.GET, me, token: tenants.a.token).status == .ok)

            #expect(try await app.request(.POST, "/api/users/\(login)/deactivate", token: tenants.advisorToken).status == .ok)
            #expect(try await app.request(.GET, me, token: tenants.a.token).status == .unauthorized, "its sessions end")
            #expect(try await app.request(.POST, "/api/auth/login", json: ["user_id": login, "password": password]).status == .forbidden)
            #expect(try await app.request(.POST, "/api/users/\(login)/activate", token: tenants.advisorToken).status == .ok)
            let token = try await app.login(login, password: password)

            #expect(try await app.request(.POST, "/api/users/\(login)/revoke-sessions", token: tenants.advisorToken).status == .ok)
            #expect(try await app.request(.GET, me, token: token).status == .unauthorized)

            // The user changes their own password: the current session stays, others end, the old password stops working.
            let first = try await app.login(login, password: password), second = try await app.login(login, password: password)
            let change = try await app.request(.POST, "/api/auth/password", token: first, json: ["current_password": password, "new_password": "a-brand-new-secret-7"])
            #expect(change.status == .noContent, "\(change)")
            #expect(try await app.request(.GET, me, token: first).status == .ok)
            #expect(try await app.request(.GET, me, token: second).status == .unauthorized)
            #expect(try await app.request(.POST, "/api/auth/login", json: ["user_id": login, "password": password]).status == .unauthorized)
            let wrong = try await app.request(.POST, "/api/auth/password", token: first, json: ["current_password": "not-it-at-all", "new_password": "another-new-secret-8"])
            #expect(wrong.status == .forbidden)

            // Role change (admin only) ends the sessions; a login linked to a client cannot become staff.
            let linked = try await app.request(.PATCH, "/api/users/\(login)", token: admin, json: ["role": "advisor"])
            #expect(linked.status == .conflict, "\(linked)")
            _ = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "grace", "password": "grace-long-secret-9", "role": "advisor"])
            let grace = try await app.login("grace", password: "grace-long-secret-9")
            let promoted = try await app.request(.PATCH, "/api/users/grace", token: admin, json: ["role": "admin"])
            #expect(promoted.object.string("role") == "admin", "\(promoted)")
            #expect(try await app.request(.GET, me, token: grace).status == .unauthorized)

            // A deactivated client: its login's tokens are revoked and logins refused until re-activated.
            let bToken = tenants.b.token
            #expect(try await app.request(.POST, "/api/clients/\(tenants.b.scenario.clientID)/deactivate", token: tenants.advisorToken).status == .ok)
            #expect(try await app.request(.GET, me, token: bToken).status == .unauthorized)
            let refused = try await app.request(.POST, "/api/auth/login", json: ["user_id": tenants.b.login, "password": tenants.b.password])
            #expect(refused.status == .forbidden && refused.errorCode == "client_inactive", "\(refused)")
        }
    }

    @Test("security headers on API, page and error responses; oversized headers get 431", arguments: TestDatabase.available)
    func responseHeaders(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            for (path, auth) in [("/api/clients", true), ("/", false), ("/api/clients/999999", true), ("/api/nowhere", false), ("/health", false)] {
                var headers = HTTPHeaders()
                if auth { headers.bearerAuthorization = BearerAuthorization(token: token) }
                let response = try await app.app.testing().sendRequest(.GET, path, headers: headers)
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true, "\(path)")
                #expect(response.headers.first(name: "X-Frame-Options") == "DENY", "\(path)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(response.headers.first(name: "Referrer-Policy") == "no-referrer", "\(path)")
                #expect(response.headers.first(name: "Cache-Control") == "no-store", "\(path)")
            }
            // The workspace's pages run no script at all.
            let signIn = try await app.app.testing().sendRequest(.GET, "/app/sign-in")
            let policy = signIn.headers.first(name: "Content-Security-Policy") ?? ""
            #expect(policy.contains("default-src 'none'") && !policy.contains("script-src") && policy.contains("frame-ancestors 'none'"), "\(policy)")
            let big = try await app.app.testing().sendRequest(.GET, "/api/clients", headers: ["X-Padding": String(repeating: "a", count: 20_000)])
            #expect(big.status.code == 431, "\(big.status)")
            #expect(big.body.string.contains("headers_too_large"))
        }
    }

    @Test("NUL bytes and out-of-range numbers get the same 4xx on both databases and nothing is stored", arguments: TestDatabase.available)
    func nulAndOverflow(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let token = scenario.token
            let clients = try await app.count("clients")
            let nulName = try await app.request(.POST, "/api/clients/", token: token, json: ["first_name": "Ada\u{0000}x", "last_name": "L", "email": "ada-nul@example.com"])
            #expect(nulName.status == .unprocessableEntity && nulName.errorField == "first_name", "\(nulName)")
            #expect(try await app.count("clients") == clients, "nothing stored, nothing truncated")
            let nulLogin = try await app.request(.POST, "/api/auth/login", json: ["user_id": "advisor\u{0000}", "password": "x"])
            #expect(nulLogin.status == .unprocessableEntity && nulLogin.errorField == "user_id", "\(nulLogin)")
            let nulPath = try await app.request(.GET, "/api/rl/trading/batches/abc%00def", token: token)
            #expect(nulPath.status == .unprocessableEntity, "\(nulPath)")
            let nulQuery = try await app.request(.GET, "/api/goals?user_id=a%00b", token: token)
            #expect(nulQuery.status == .unprocessableEntity && nulQuery.errorField == "user_id", "\(nulQuery)")

            let goals = try await app.count("financial_goals")
            for value in [9.2e18, 1e15 + 1, 2e12] {
                let goal = try await app.request(.POST, "/api/goals", token: token, json: [
                    "user_id": "test_user_big", "goal_type": "profit_target", "target_value": 100, "starting_value": value, "period_end": "2027-01-01"])
                #expect(goal.status == .unprocessableEntity && goal.errorField == "starting_value", "\(value): \(goal)")
                let trade = try await app.request(.POST, "/api/trades", token: token, json: [
                    "user_id": "test_user_big", "symbol": "AAPL", "side": "LONG", "quantity": 1, "entry_price": 100, "fees": value])
                #expect(trade.status == .unprocessableEntity && trade.errorField == "fees", "\(value): \(trade)")
            }
            let digits = try await app.request(.POST, "/api/trades", token: token, json: [
                "user_id": "test_user_big", "symbol": "BTCUSDT", "side": "LONG", "quantity": 12_345_678.12345678, "entry_price": 100])
            #expect(digits.status == .unprocessableEntity && digits.errorField == "quantity", "more than SQLite keeps exactly: \(digits)")
            #expect(try await app.count("financial_goals") == goals)
            #expect(try await app.count("trades", where: "user_id = 'test_user_big'") == 0)
        }
    }
}

@Suite("Identity migration")
struct IdentityMigrationTests {
    @Test("M015 moves the old client-<id> rows to the generated identity and leaves a real login's own rows", arguments: TestDatabase.available)
    func oldClientIdentitiesMove(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let lone = try await TradingScenario.make(app, factory: Factory(seed: 501))
            let squatted = try await TradingScenario.make(app, factory: Factory(seed: 502))
            let old = "client-\(lone.clientID)", squatter = "client-\(squatted.clientID)"
            // Rows as Keel wrote them before: the client's trades and goals under client-<id>.
            _ = try await app.request(.POST, "/api/goals", token: token, json: ["user_id": old, "goal_type": "monthly_return", "target_value": 3, "starting_value": 1_000])
            _ = try await app.request(.POST, "/api/trades", token: token, json: [
                "user_id": old, "client_id": lone.clientID, "symbol": "AAPL", "side": "LONG", "quantity": 1, "entry_price": 10])
            // A login that took the name of the other client's identity (possible before this change), with a goal of its own.
            try await app.database.write { session in
                try await session.sql.raw("""
                    INSERT INTO users (user_id, password_hash, role, display_name, active, created_at, updated_at)
                    VALUES (\(bind: squatter), 'x', 'client', 'squatter', \(bind: true), \(bind: Date()), \(bind: Date()))
                    """).run()
            }
            _ = try await app.request(.POST, "/api/goals", token: token, json: ["user_id": squatter, "goal_type": "monthly_return", "target_value": 3, "starting_value": 1_000])
            _ = try await app.request(.POST, "/api/trades", token: token, json: [
                "user_id": squatter, "client_id": squatted.clientID, "symbol": "AAPL", "side": "LONG", "quantity": 1, "entry_price": 10])

            let migration = try #require(KeelMigrations.all.compactMap { $0 as? any AsyncMigration }.first { String(describing: type(of: $0)).contains("M015") })
            try await migration.prepare(on: app.app.db)

            #expect(try await app.count("financial_goals", where: "user_id = 'client:\(lone.clientID)'") == 1)
            #expect(try await app.count("trades", where: "user_id = 'client:\(lone.clientID)'") == 1)
            #expect(try await app.count("financial_goals", where: "user_id = '\(old)'") == 0)
            #expect(try await app.count("financial_goals", where: "user_id = '\(squatter)'") == 1, "the login's own goal stays its own")
            #expect(try await app.count("trades", where: "user_id = 'client:\(squatted.clientID)' AND client_id = \(squatted.clientID)") == 1,
                    "the client's trade leaves the squatting login")
        }
    }
}
