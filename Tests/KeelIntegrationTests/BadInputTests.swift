import Foundation
import KeelTestSupport
import Testing
import Vapor

@Suite("Bad input")
struct BadInputTests {
    @Test("malformed requests on every route get a 4xx JSON error and change nothing", arguments: TestDatabase.available)
    func badInputNeverCausesServerErrors(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try #require(try await scenario.rebalance(app).object.string("batch_id"))
            let tables = ["clients", "brokerage_accounts", "client_preferences", "trade_batches", "batch_orders", "fills", "positions", "broker_calls"]
            var before: [String: Int] = [:]
            for table in tables { before[table] = try await app.count(table) }

            let bodies = ["", "{", "[]", "null", "42", "{\"client_id\": \"seven\"}", "{\"batch_id\": 12, \"dry_run\": \"yes\"}",
                          "{\"max_positions\": -3}", "{\"email\": null}", String(repeating: "x", count: 2_000)]
            let routes: [(HTTPMethodName, String)] = [
                (.POST, "/api/clients/"), (.PATCH, "/api/clients/\(scenario.clientID)"), (.PUT, "/api/clients/\(scenario.clientID)/preferences"),
                (.POST, "/api/brokerages/accounts"), (.POST, "/api/rl/trading/rebalance"), (.POST, "/api/rl/trading/execute-batch"),
                (.POST, "/api/rl/trading/batches/\(batchID)/reject"), (.POST, "/api/auth/login"), (.POST, "/api/users"),
                (.POST, "/api/system/kill-switch"),
            ]
            for (method, path) in routes {
                for body in bodies {
                    let response = try await app.request(method.vapor, path, token: path.hasSuffix("login") ? nil : scenario.token, rawBody: body)
                    #expect((400..<500).contains(response.status.code), "\(method) \(path) with \(body.prefix(30)): \(response)", sourceLocation: .__here())
                    #expect(response.errorCode != nil, "\(method) \(path): \(response)")
                }
            }
            for path in ["/api/clients/abc", "/api/clients/99999999", "/api/portfolio-health/-1", "/api/ml-models/predict/x",
                         "/api/rl/trading/batches/not-a-batch", "/api/clients?limit=abc", "/api/clients?limit=100000",
                         "/api/rl/trading/batches?status=bogus", "/api/brokerages/accounts/unknown-hash", "/api/nowhere"] {
                let response = try await app.request(.GET, path, token: scenario.token)
                #expect((400..<500).contains(response.status.code), "GET \(path): \(response)")
                #expect(response.errorCode != nil, "GET \(path): \(response)")
            }
            for table in tables { #expect(try await app.count(table) == before[table], "\(table) changed") }
        }
    }
}

/// The methods this test sends, mapped to Vapor's.
enum HTTPMethodName: String, Sendable, CustomStringConvertible {
    case GET, POST, PUT, PATCH
    var description: String { rawValue }
    var vapor: HTTPMethod { HTTPMethod(rawValue: rawValue) }
}
