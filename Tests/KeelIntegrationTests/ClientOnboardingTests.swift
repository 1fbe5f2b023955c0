import Foundation
import KeelTestSupport
import Testing

@Suite("Client onboarding")
struct ClientOnboardingTests {
    @Test("onboarding: create, read, preferences, link, list", arguments: TestDatabase.available)
    func completeOnboarding(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let factory = Factory()
            var body = factory.client(riskTolerance: "moderate")
            body["client_id"] = 4242 // ignored by design
            let created = try await app.request(.POST, "/api/clients/", token: token, json: body)
            #expect(created.status == .ok, "\(created)")
            let clientID = try #require(created.object.int("client_id"))
            #expect(clientID != 4242)
            #expect(created.object.string("email") == (body["email"] as? String)?.lowercased())
            #expect(created.object.string("status") == "active")

            let preferences = try await app.request(.GET, "/api/clients/\(clientID)/preferences", token: token)
            #expect(preferences.status == .ok)
            #expect(preferences.object.int("portfolio_id") == 2, "a moderate client starts on the balanced portfolio")
            #expect(preferences.object["require_approval"] as? Bool == true)

            let account = try await app.request(.POST, "/api/brokerages/accounts", token: token, json: [
                "client_id": clientID, "brokerage_id": 2, "account_number": "PA-1", "account_hash": factory.accountHash(),
                "account_type": "IRA", "nickname": "Retirement",
            ])
            #expect(account.status == .ok, "\(account)")
            #expect(account.object.string("account_type") == "ira")
            #expect(account.object.double("cash") == 100_000)
            #expect(account.object.string("account_number") == "****PA-1".suffix(8).description || account.object.string("account_number")?.hasPrefix("****") == true)

            let accounts = try await app.request(.GET, "/api/clients/\(clientID)/accounts", token: token)
            #expect(accounts.array.count == 1)
            #expect(accounts.array.first?.string("account_hash") == factory.accountHash())
            #expect(try await app.count("paper_broker_accounts") == 1)
            #expect(try await app.count("audit_log", where: "action IN ('client.create', 'account.link')") == 2)
        }
    }

    @Test("missing or malformed data is refused field by field and writes nothing", arguments: TestDatabase.available)
    func onboardingWithMissingData(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let valid = Factory().client()
            func without(_ key: String) -> [String: any Sendable] { var b = valid; b[key] = nil; return b }
            func with(_ key: String, _ value: any Sendable) -> [String: any Sendable] { var b = valid; b[key] = value; return b }
            let cases: [([String: any Sendable], String)] = [
                (without("first_name"), "first_name"), (without("last_name"), "last_name"), (without("email"), "email"),
                (with("email", "not-an-email"), "email"), (with("first_name", "   "), "first_name"),
                (with("date_of_birth", "1990-13-45"), "date_of_birth"), (with("date_of_birth", "2020-01-01"), "date_of_birth"),
                (with("risk_tolerance", "yolo"), "risk_tolerance"), (with("investment_horizon_years", "ten"), "investment_horizon_years"),
                (with("phone", "12"), "phone"), (with("portfolio_id", 99), "portfolio_id"),
            ]
            for (body, field) in cases {
                let response = try await app.request(.POST, "/api/clients/", token: token, json: body)
                #expect([422, 404].contains(response.status.code), "\(field): \(response)")
                #expect(response.errorField == field, "\(response)")
            }
            let malformed = try await app.request(.POST, "/api/clients/", token: token, rawBody: "{\"first_name\": ")
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "malformed_json")
            #expect(try await app.count("clients") == 0)
            #expect(try await app.count("client_preferences") == 0)
        }
    }

    @Test("a second client with the same email is refused with 409", arguments: TestDatabase.available)
    func duplicateClientPrevention(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let body = Factory().client()
            #expect(try await app.request(.POST, "/api/clients/", token: token, json: body).status == .ok)
            var shouted = body
            shouted["email"] = (body["email"] as? String)?.uppercased()
            let duplicate = try await app.request(.POST, "/api/clients/", token: token, json: shouted)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorCode == "duplicate_email")
            #expect(duplicate.errorField == "email")
            #expect(try await app.count("clients") == 1)
        }
    }

    @Test("account linking validates client, brokerage, hash and cash", arguments: TestDatabase.available)
    func accountLinkingValidation(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            func link(_ overrides: [String: any Sendable]) async throws -> TestResponse {
                var body: [String: any Sendable] = ["client_id": scenario.clientID, "brokerage_id": 2, "account_number": "PA-X",
                                                    "account_hash": "freshhash001", "account_type": "individual"]
                for (key, value) in overrides { body[key] = value }
                return try await app.request(.POST, "/api/brokerages/accounts", token: scenario.token, json: body)
            }
            let unknownClient = try await link(["client_id": 999_999])
            #expect(unknownClient.status == .notFound)
            #expect(unknownClient.errorField == "client_id")
            let unknownBrokerage = try await link(["brokerage_id": 77])
            #expect(unknownBrokerage.status == .notFound)
            #expect(unknownBrokerage.errorField == "brokerage_id")
            let duplicateHash = try await link(["account_hash": scenario.accountHash])
            #expect(duplicateHash.status == .conflict)
            #expect(duplicateHash.errorField == "account_hash")
            let missingType = try await link(["account_type": ""])
            #expect(missingType.status == .unprocessableEntity)
            #expect(missingType.errorField == "account_type")
            let negativeCash = try await link(["starting_cash": -5])
            #expect(negativeCash.status == .unprocessableEntity)
            #expect(negativeCash.errorField == "starting_cash")
            let badHash = try await link(["account_hash": "x"])
            #expect(badHash.errorField == "account_hash")
            #expect(try await app.count("brokerage_accounts") == 1)

            // A Schwab account needs its hash and starts disconnected until OAuth links it.
            let schwab = try await link(["brokerage_id": 1, "account_number": "12345678", "account_hash": "SCHWABHASH0001"])
            #expect(schwab.status == .ok)
            #expect(schwab.object.string("status") == "disconnected")
        }
    }

    @Test("preferences start from the risk profile and validate every field", arguments: TestDatabase.available)
    func preferencesAndPortfolioInitialisation(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let conservative = try await app.request(.POST, "/api/clients/", token: token, json: Factory().client(riskTolerance: "conservative"))
            let clientID = try #require(conservative.object.int("client_id"))
            let path = "/api/clients/\(clientID)/preferences"
            #expect(try await app.request(.GET, path, token: token).object.int("portfolio_id") == 3)

            for (body, field) in [(["max_weight": 1.5], "max_weight"), (["max_positions": 0], "max_positions"),
                                  (["cash_buffer": -0.1], "cash_buffer"), (["trading_mode": "yolo"], "trading_mode"),
                                  (["portfolio_id": 99], "portfolio_id"), (["excluded_symbols": ["AAPL", "bad symbol!"]], "excluded_symbols")]
                as [([String: any Sendable], String)] {
                let response = try await app.request(.PUT, path, token: token, json: body)
                #expect(response.status == .unprocessableEntity, "\(field): \(response)")
                #expect(response.errorField == field)
            }
            let updated = try await app.request(.PUT, path, token: token, json: [
                "portfolio_id": 1, "max_positions": 6, "max_weight": 0.2, "cash_buffer": 0.05, "drift_threshold": 0.02,
                "excluded_symbols": ["tsla", "BTC-USD"], "require_approval": false, "trading_mode": "paper",
            ])
            #expect(updated.status == .ok, "\(updated)")
            let read = try await app.request(.GET, path, token: token)
            #expect(read.object.int("max_positions") == 6)
            #expect(read.object["excluded_symbols"] as? [String] == ["BTC-USD", "TSLA"])
            #expect(read.object["require_approval"] as? Bool == false)

            // Exclusions reach the predictions; a custom starting cash reaches the health view.
            let predictions = try await app.request(.GET, "/api/ml-models/predict/\(clientID)", token: token)
            #expect(!predictions.array.contains { ["TSLA", "BTC-USD"].contains($0.string("symbol") ?? "") })
            _ = try await app.request(.POST, "/api/brokerages/accounts", token: token, json: [
                "client_id": clientID, "brokerage_id": 2, "account_type": "individual", "starting_cash": 250_000,
            ])
            #expect(try await app.request(.GET, "/api/portfolio-health/\(clientID)", token: token).object.double("total_value") == 250_000)
        }
    }

    @Test("a client reads the same through every endpoint", arguments: TestDatabase.available)
    func clientDataConsistentAcrossEndpoints(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let client = try await app.request(.GET, "/api/clients/\(scenario.clientID)", token: scenario.token).object
            let listed = try await app.request(.GET, "/api/clients", token: scenario.token).array.first { $0.int("client_id") == scenario.clientID }
            #expect(listed?.string("email") == client.string("email"))
            #expect(listed?.string("last_name") == client.string("last_name"))
            let accounts = try await app.request(.GET, "/api/clients/\(scenario.clientID)/accounts", token: scenario.token).array
            #expect(accounts.allSatisfy { $0.int("client_id") == scenario.clientID })
            let preferences = try await app.request(.GET, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token).object
            #expect(preferences.int("client_id") == scenario.clientID)
            let health = try await scenario.health(app).object
            #expect(health.int("client_id") == scenario.clientID)
            #expect(health.objects("accounts").map { $0.string("account_hash") } == accounts.map { $0.string("account_hash") })
            let batch = try await scenario.rebalance(app).object
            #expect(batch.int("client_id") == scenario.clientID)
            #expect(batch.string("account_hash") == scenario.accountHash)
        }
    }

    @Test("a deactivated client keeps its data but gets no new batches or accounts", arguments: TestDatabase.available)
    func deactivation(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let deactivated = try await app.request(.POST, "/api/clients/\(scenario.clientID)/deactivate", token: scenario.token)
            #expect(deactivated.object.string("status") == "inactive")
            let rebalance = try await scenario.rebalance(app)
            #expect(rebalance.status == .conflict)
            #expect(rebalance.errorCode == "client_inactive")
            let link = try await app.request(.POST, "/api/brokerages/accounts", token: scenario.token, json: [
                "client_id": scenario.clientID, "brokerage_id": 2, "account_type": "individual",
            ])
            #expect(link.status == .conflict)
            #expect(try await app.request(.GET, "/api/clients?status=inactive", token: scenario.token).array.count == 1)
            #expect(try await scenario.health(app).status == .ok)
            _ = try await app.request(.POST, "/api/clients/\(scenario.clientID)/activate", token: scenario.token)
            #expect(try await scenario.rebalance(app).status == .ok)
        }
    }

    @Test("roles: a client login reaches only its own client; anonymous reaches nothing", arguments: TestDatabase.available)
    func roleIsolation(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let own = try await TradingScenario.make(app, factory: Factory(seed: 1))
            let other = try await TradingScenario.make(app, factory: Factory(seed: 2))
            let admin = try await app.loginAdmin()
            #expect(try await app.request(.POST, "/api/users", token: own.token, json: ["user_id": "newadvisor", "password": "long-password", "role": "advisor"]).status == .forbidden,
                    "advisors cannot create staff")
            #expect(try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "dana", "password": "dana-password", "role": "client"]).status == .ok)
            #expect(try await app.request(.PATCH, "/api/clients/\(own.clientID)", token: own.token, json: ["user_id": "dana"]).status == .ok)
            let dana = try await app.login("dana", password: "dana-password")

            #expect(try await app.request(.GET, "/api/clients/\(own.clientID)", token: dana).status == .ok)
            #expect(try await app.request(.GET, "/api/portfolio-health/\(own.clientID)", token: dana).status == .ok)
            for path in ["/api/clients/\(other.clientID)", "/api/portfolio-health/\(other.clientID)", "/api/ml-models/predict/\(other.clientID)",
                         "/api/clients/\(other.clientID)/accounts", "/api/clients/\(other.clientID)/preferences"] {
                let response = try await app.request(.GET, path, token: dana)
                #expect(response.status == .forbidden, "\(path): \(response)")
            }
            let list = try await app.request(.GET, "/api/clients", token: dana)
            #expect(list.array.map { $0.int("client_id") } == [own.clientID])
            #expect(try await app.request(.POST, "/api/clients/", token: dana, json: Factory().client()).status == .forbidden)
            #expect(try await app.request(.PUT, "/api/clients/\(own.clientID)/preferences", token: dana, json: ["max_positions": 3]).status == .forbidden)
            let anonymous = try await app.request(.GET, "/api/clients/\(own.clientID)")
            #expect(anonymous.status == .unauthorized)
            #expect(try await app.request(.GET, "/api/clients", token: "forged-token").errorCode == "invalid_token")
            let wrongPassword = try await app.request(.POST, "/api/auth/login", json: ["user_id": "dana", "password": "nope-nope"])
            #expect(wrongPassword.status == .unauthorized)
        }
    }
}
