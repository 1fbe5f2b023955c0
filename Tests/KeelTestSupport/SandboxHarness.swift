import Foundation
import KeelBrokers
import KeelCore
import SchwabSandbox
import Vapor
import VaporTesting

/// A Schwab sandbox listening on a free loopback port for one test, sharing the test's clock and its
/// market simulator seed (so the sandbox's prices agree with the test database's bars).
public struct SandboxHarness: Sendable {
    public static let appKey = "KEELTESTAPPKEY0123456789"
    public static let appSecret = "keel-test-app-secret"
    public static let callbackURL = "https://keel.test/api/schwab/callback"

    public let app: Application
    public let control: SandboxControl
    public let baseURL: String

    public static func start(clock: AdjustableClock, ordersPerMinute: Int = 120) async throws -> SandboxHarness {
        let app = try await Application.make(.testing)
        do {
            app.logger.logLevel = .warning
            let control = SchwabSandboxServer.configure(app, SandboxConfiguration(
                appKey: appKey, appSecret: appSecret, callbackURL: callbackURL, autoApprove: true, clock: clock,
                priceSeed: TestFixtures.marketSeed, ordersPerMinute: ordersPerMinute))
            control.warmUp()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            guard let port = app.http.server.shared.localAddress?.port else { throw TestSetupError("the sandbox did not report its port") }
            return SandboxHarness(app: app, control: control, baseURL: "http://127.0.0.1:\(port)")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }

    public func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    /// Keel's Schwab settings pointing at this sandbox.
    public func keelConfiguration(requestTimeout: TimeInterval = 3) -> SchwabConfiguration {
        SchwabConfiguration(appKey: Self.appKey, appSecret: Self.appSecret, callbackURL: Self.callbackURL, baseURL: baseURL,
                            requestTimeout: requestTimeout, ordersPerMinute: 120, maxRateLimitRetries: 3)
    }

    /// Follows an authorize URL as a browser would (as `user`, a sandbox login) and returns the redirect's code and state.
    public func approve(authorizeURL: String, user: String? = nil) async throws -> (code: String, state: String) {
        guard var components = URLComponents(string: authorizeURL) else { throw TestSetupError("bad authorize URL \(authorizeURL)") }
        if let user { components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "user", value: user)] }
        let path = components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
        let response = try await app.testing().sendRequest(.GET, path)
        guard response.status == .found, let location = response.headers.first(name: .location),
              let redirect = URLComponents(string: location) else {
            throw TestSetupError("the sandbox did not redirect: \(response.status) \(response.body.string)")
        }
        let items = redirect.queryItems ?? []
        guard let code = items.first(where: { $0.name == "code" })?.value, let state = items.first(where: { $0.name == "state" })?.value else {
            throw TestSetupError("the redirect lacks code or state: \(location)")
        }
        return (code, state)
    }
}
