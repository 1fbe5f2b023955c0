import Foundation
import KeelTestSupport
import Testing
import Vapor

/// The served OpenAPI document against the app's real route table and real responses. (Every response any
/// integration test receives through `KeelTestApp.request` is also checked against it.)
@Suite("OpenAPI contract")
struct OpenAPITests {
    static func template(_ route: Route) -> String {
        "/" + route.path.map { component -> String in
            if case .parameter(let name) = component { return "{\(name)}" }
            return component.description
        }.joined(separator: "/")
    }

    @Test("every registered route is documented and every documented operation is a registered route", arguments: TestDatabase.available)
    func routesMatchTheDocument(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let response = try await app.request(.GET, "/openapi.json")
            #expect(response.status == .ok)
            let contract = try await app.contract()
            #expect(contract.document["openapi"]?.stringValue?.hasPrefix("3.1") == true)

            let registered = Set(app.app.routes.all.map { "\($0.method.rawValue) \(Self.template($0))" })
            var documented = Set<String>()
            for (path, item) in contract.document["paths"]?.objectValue ?? [:] {
                for (method, operation) in item.objectValue ?? [:] where operation["responses"] != nil {
                    documented.insert("\(method.uppercased()) \(path)")
                    #expect(operation["summary"]?.stringValue?.isEmpty == false, "\(method) \(path) has a summary")
                    #expect(operation["responses"]?["4XX"] != nil, "\(method) \(path) documents the error shape")
                }
            }
            #expect(registered.count > 90)
            #expect(registered.subtracting(documented).sorted() == [], "registered but undocumented")
            #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
        }
    }

    @Test("the bearer scheme guards every route but the public ones; the error object and seed examples are there", arguments: TestDatabase.available)
    func securityErrorsAndExamples(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let document = try await app.contract().document
            #expect(document["components"]?["securitySchemes"]?["bearerAuth"]?["scheme"]?.stringValue == "bearer")
            let error = document["components"]?["schemas"]?["ErrorResponse"]
            #expect(error?["properties"]?["error"] != nil, "the error object is a component")

            var open: Set<String> = []
            for (path, item) in document["paths"]?.objectValue ?? [:] {
                for (method, operation) in item.objectValue ?? [:] where operation["responses"] != nil {
                    if operation["security"]?.arrayValue?.isEmpty ?? true { open.insert("\(method.uppercased()) \(path)") }
                }
            }
            var cookie: Set<String> = []
            for (path, item) in document["paths"]?.objectValue ?? [:] {
                for (method, operation) in item.objectValue ?? [:] where operation["security"]?.arrayValue?.first?["sessionCookie"] != nil {
                    cookie.insert("\(method.uppercased()) \(path)")
                }
            }
            open.subtract(cookie)
            #expect(open == ["GET /health", "GET /health/ready", "POST /api/auth/login", "GET /api/schwab/callback", "GET /",
                             "GET /dashboard", "GET /dashboard/goals", "GET /openapi.json", "GET /docs", "GET /app/sign-in", "POST /app/sign-in"])
            let workspace = Set(app.app.routes.all.map { "\($0.method.rawValue) /" + $0.path.map { $0.description.hasPrefix(":") ? "{\($0.description.dropFirst())}" : $0.description }.joined(separator: "/") }
                .filter { $0.contains(" /app") && !$0.hasSuffix("/app/sign-in") })
            #expect(cookie == workspace && cookie.contains("GET /app"), "every workspace page but sign-in needs the session cookie: \(cookie.symmetricDifference(workspace))")

            for (method, path) in [("post", "/api/auth/login"), ("post", "/api/clients"), ("post", "/api/rl/trading/rebalance"),
                                   ("post", "/api/rl/trading/execute-batch"), ("post", "/api/goals"), ("post", "/api/brokerages/accounts")] {
                let example = document["paths"]?[path]?[method]?["requestBody"]?["content"]?["application/json"]?["example"]
                #expect(example?.objectValue?.isEmpty == false, "\(method) \(path) has a request example")
                // The example itself satisfies the documented request schema.
                if let example, let schema = document["paths"]?[path]?[method]?["requestBody"]?["content"]?["application/json"]?["schema"] {
                    var problems: [String] = []
                    try await app.contract().validate(example, against: schema, at: "example", into: &problems)
                    #expect(problems == [], "\(path)")
                }
            }
            let login = document["components"]?["schemas"]?["LoginResponse"]?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(Set(["access_token", "token_type", "expires_in", "token"]).isSubset(of: Set(login)), "OAuth2 token shape")
        }
    }

    @Test("the check fails a response that breaks its schema: a missing field, a wrong type, an extra field, an undocumented status")
    func theCheckCanFail() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let contract = try await app.contract()
            let scenario = try await TradingScenario.make(app)
            let real = try await app.request(.GET, "/api/clients/\(scenario.clientID)", token: scenario.token)
            #expect(real.status == .ok)
            #expect(contract.violations(method: "GET", path: "/api/clients/1", status: 200, contentType: "application/json", body: real.body) == [])

            var object = real.object
            object.removeValue(forKey: "email")
            let missing = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(contract.violations(method: "GET", path: "/api/clients/1", status: 200, contentType: "application/json", body: missing)
                .contains { $0.contains("email is required") })
            object = real.object
            object["client_id"] = "one"
            let wrongType = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(!contract.violations(method: "GET", path: "/api/clients/1", status: 200, contentType: "application/json", body: wrongType).isEmpty)
            object = real.object
            object["password_hash"] = "leak"
            let extra = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            #expect(!contract.violations(method: "GET", path: "/api/clients/1", status: 200, contentType: "application/json", body: extra).isEmpty)
            #expect(!contract.violations(method: "GET", path: "/api/clients/1", status: 302, contentType: nil, body: "").isEmpty)
            #expect(!contract.violations(method: "GET", path: "/api/clients/1", status: 422, contentType: "application/json", body: "{\"detail\":1}").isEmpty)
        }
    }

    @Test("/docs renders the document without anything from outside this server")
    func docsPageIsSelfContained() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let page = try await app.request(.GET, "/docs")
            #expect(page.status == .ok)
            #expect(page.body.contains("/openapi.json"))
            for external in ["src=\"http", "href=\"http", "@import", "cdn", "//unpkg", "//cdnjs"] {
                #expect(!page.body.lowercased().contains(external), "the page loads \(external)")
            }
        }
    }
}
