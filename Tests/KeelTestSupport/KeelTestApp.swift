import Foundation
import KeelAPI
import KeelBrokers
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import NIOConcurrencyHelpers
import NIOCore
import Testing
import Vapor
import VaporTesting

/// One integration-test application: the real composition root on a private copy of the template
/// database, driven through Vapor's in-process HTTP tester.
public struct KeelTestApp: Sendable {
    public let app: Application
    public let clock: AdjustableClock
    public let kind: TestDatabase
    public let location: DatabaseLocation

    public var services: KeelServices { app.keel }
    public var database: KeelDatabase { app.keel.context.database }

    /// Runs `body` against a fresh app and database, then tears both down.
    public static func run(on kind: TestDatabase, settings: ServiceSettings = ServiceSettings(), databasePoolSize: Int = 4,
                           clock: AdjustableClock = AdjustableClock(TestFixtures.now), schwab: SchwabConfiguration? = nil,
                           configure: (inout KeelConfiguration) -> Void = { _ in },
                           _ body: (KeelTestApp) async throws -> Void) async throws {
        if kind == .postgres { await TestSlots.postgres.acquire() }
        defer { if kind == .postgres { Task { await TestSlots.postgres.release() } } }
        let (location, dispose) = try await TemplateDatabases.shared.makeDatabase(kind)
        let app = try await Application.make(.testing)
        do {
            var configuration = KeelConfiguration(database: location, adminPassword: TestFixtures.adminPassword, settings: settings,
                                                  clock: clock, bcryptCost: TestFixtures.bcryptCost, reconcileOnStart: false,
                                                  databasePoolSize: databasePoolSize, logLevel: .warning)
            // Tests import their own scratch copies and the shared data over HTTP.
            configuration.dataImportRoot = "/"
            configuration.schwab = schwab
            configuration.secretKey = "keel-test-secret-key"
            configure(&configuration)
            try await configureKeel(app, configuration)
            // Booted as `keel serve` is (lifecycle handlers such as the job worker start here).
            try await app.asyncBoot()
            try await body(KeelTestApp(app: app, clock: clock, kind: kind, location: location))
        } catch {
            try? await app.asyncShutdown()
            await dispose()
            throw error
        }
        try await app.asyncShutdown()
        await dispose()
    }

    /// Sends a request; `body` is encoded as JSON when given.
    @discardableResult
    public func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json body: [String: any Sendable]? = nil,
                        rawBody: String? = nil) async throws -> TestResponse {
        var headers = HTTPHeaders()
        if let token { headers.bearerAuthorization = BearerAuthorization(token: token) }
        var buffer: ByteBuffer?
        if let body {
            headers.contentType = .json
            buffer = ByteBuffer(data: try JSONSerialization.data(withJSONObject: body))
        } else if let rawBody {
            headers.contentType = .json
            buffer = ByteBuffer(string: rawBody)
        }
        let response = try await app.testing().sendRequest(method, path, headers: headers, body: buffer)
        let result = TestResponse(status: response.status, body: response.body.string)
        // Every response a test sees is checked against the served contract.
        for violation in try await contract().violations(method: method.rawValue, path: path, status: Int(response.status.code),
                                                         contentType: response.headers.first(name: .contentType), body: result.body) {
            Issue.record("API contract: \(violation)")
        }
        return result
    }

    /// A browser-like request to a workspace page: cookies sent, a form posted, redirects not followed. Returns
    /// the status, the body, the `Location` and the cookies set (name → the whole Set-Cookie value).
    public func browse(_ method: HTTPMethod, _ path: String, cookies: [String: String] = [:], form: [String: String]? = nil) async throws -> BrowserResponse {
        var headers = HTTPHeaders()
        if !cookies.isEmpty { headers.add(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        var buffer: ByteBuffer?
        if let form {
            headers.contentType = .urlEncodedForm
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
            buffer = ByteBuffer(string: components.percentEncodedQuery ?? "")
        }
        let response = try await app.testing().sendRequest(method, path, headers: headers, body: buffer)
        for violation in try await contract().violations(method: method.rawValue, path: path.components(separatedBy: "?")[0], status: Int(response.status.code),
                                                         contentType: response.headers.first(name: .contentType), body: response.body.string) {
            Issue.record("API contract: \(violation)")
        }
        var set: [String: String] = [:]
        for header in response.headers[.setCookie] {
            let name = String(header.prefix { $0 != "=" })
            set[name] = header
        }
        return BrowserResponse(status: response.status, body: response.body.string, location: response.headers.first(name: .location), setCookies: set)
    }

    private static let servedContract = NIOLockedValueBox<APIContract?>(nil)

    /// The app's `/openapi.json`, fetched once per test process (every app serves the same routes).
    public func contract() async throws -> APIContract {
        if let known = Self.servedContract.withLockedValue({ $0 }) { return known }
        let response = try await app.testing().sendRequest(.GET, "/openapi.json")
        let contract = try APIContract(json: Data(response.body.readableBytesView))
        Self.servedContract.withLockedValue { $0 = contract }
        return contract
    }

    public func login(_ userID: String = TestFixtures.advisorUserID, password: String = TestFixtures.advisorPassword) async throws -> String {
        let response = try await request(.POST, "/api/auth/login", json: ["user_id": userID, "password": password])
        guard response.status == .ok, let token = response.object["token"] as? String else {
            throw TestSetupError("login of \(userID) failed: \(response.status) \(response.body)")
        }
        return token
    }

    public func loginAdmin() async throws -> String { try await login("admin", password: TestFixtures.adminPassword) }

    /// A second application on this test's database (another `keel serve` or `keel worker` process), shut
    /// down after `body`.
    public func secondInstance(configure: (inout KeelConfiguration) -> Void = { _ in }, _ body: (Application) async throws -> Void) async throws {
        let other = try await Application.make(.testing)
        do {
            var configuration = KeelConfiguration(database: location, settings: app.keel.context.settings, clock: clock,
                                                  bcryptCost: TestFixtures.bcryptCost, migrateOnStart: false, reconcileOnStart: false,
                                                  databasePoolSize: 4, logLevel: .warning)
            configuration.bootstrapAdmin = false
            configuration.secretKey = "keel-test-secret-key"
            configure(&configuration)
            try await configureKeel(other, configuration)
            try await other.asyncBoot()
            try await body(other)
        } catch {
            try? await other.asyncShutdown()
            throw error
        }
        try await other.asyncShutdown()
    }

    /// Polls (in real time) until `condition` holds; fails the test after `timeout` seconds.
    public func eventually(_ what: String, timeout: TimeInterval = 60, _ condition: () async throws -> Bool) async throws {
        let start = Date()
        while Date().timeIntervalSince(start) < timeout {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestSetupError("timed out waiting for \(what)")
    }

    /// Counts rows of a table straight from the database (for "nothing changed" checks).
    public func count(_ table: String, where condition: String = "1=1") async throws -> Int {
        try await database.read { session in
            let row = try await session.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)").first()
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}

/// What a workspace page answered.
public struct BrowserResponse: Sendable {
    public let status: HTTPStatus
    public let body: String
    public let location: String?
    /// Set-Cookie headers by cookie name.
    public let setCookies: [String: String]

    /// The value a Set-Cookie header gave the cookie.
    public func cookie(_ name: String) -> String? {
        setCookies[name].map { String($0.dropFirst(name.count + 1).prefix { $0 != ";" }) }
    }

    /// The value of a hidden form field (the CSRF token a page carries).
    public func field(_ name: String) -> String? {
        guard let range = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(body[range.upperBound...].prefix { $0 != "\"" })
    }
}

/// A response with its JSON body parsed on demand.
public struct TestResponse: Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let body: String

    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
    public var object: [String: Any] { json as? [String: Any] ?? [:] }
    public var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    public var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    public var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }

    public var description: String { "\(status.code) \(body.prefix(600))" }
}

extension Dictionary where Key == String, Value == Any {
    public func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    public func double(_ key: String) -> Double? { (self[key] as? NSNumber)?.doubleValue }
    public func string(_ key: String) -> String? { self[key] as? String }
    public func objects(_ key: String) -> [[String: Any]] { self[key] as? [[String: Any]] ?? [] }
}
