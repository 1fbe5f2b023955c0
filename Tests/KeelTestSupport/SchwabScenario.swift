import Foundation
import KeelCore
import Testing

/// A Keel app wired to a fresh Schwab sandbox (same clock, same price seed) and an advisor's token.
public struct SchwabScenario: Sendable {
    public let app: KeelTestApp
    public let sandbox: SandboxHarness
    public let token: String

    public static func run(on database: TestDatabase, requestTimeout: TimeInterval = 20, _ body: (SchwabScenario) async throws -> Void) async throws {
        let clock = AdjustableClock(TestFixtures.now)
        let sandbox = try await SandboxHarness.start(clock: clock)
        do {
            try await KeelTestApp.run(on: database, clock: clock, schwab: sandbox.keelConfiguration(requestTimeout: requestTimeout)) { app in
                try await body(SchwabScenario(app: app, sandbox: sandbox, token: try await app.login()))
            }
        } catch {
            await sandbox.stop()
            throw error
        }
        await sandbox.stop()
    }

    /// A new Keel client (aggressive, growth portfolio) through the API.
    public func makeClient(_ index: Int = 0) async throws -> Int {
        let response = try await app.request(.POST, "/api/clients/", token: token, json: Factory(seed: 7_000 + UInt64(index)).client())
        guard let id = response.object.int("client_id") else { throw TestSetupError("create client: \(response)") }
        return id
    }

    /// The full OAuth round trip through Keel's routes: authorize URL, the browser at Schwab, the callback.
    public func link(clientID: Int, user: String? = nil, token: String? = nil) async throws -> TestResponse {
        let authorize = try await app.request(.GET, "/api/schwab/authorize?client_id=\(clientID)", token: token ?? self.token)
        guard let url = authorize.object.string("authorize_url") else { throw TestSetupError("authorize: \(authorize)") }
        let (code, state) = try await sandbox.approve(authorizeURL: url, user: user)
        let query = "code=\(code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code)&state=\(state.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? state)"
        return try await app.request(.GET, "/api/schwab/callback?" + query)
    }
}
