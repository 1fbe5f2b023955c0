import Crypto
import Foundation
import Vapor

/// `/metrics` accepts the configured scrape token (compared in constant time) and otherwise a session token, as
/// every other secured route does. Prometheus: `authorization: {type: Bearer, credentials: <KEEL_METRICS_TOKEN>}`.
struct MetricsAuthMiddleware: AsyncMiddleware {
    let scrapeToken: String?
    let sessions: BearerAuthMiddleware

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let scrapeToken, let given = request.headers.bearerAuthorization?.token, Self.equal(given, scrapeToken) {
            request.storage[MetricsScrapeKey.self] = true
            return try await next.respond(to: request)
        }
        return try await sessions.respond(to: request, chainingTo: next)
    }

    /// Equal strings, in time that does not depend on where they differ (digests of equal length compared fully).
    static func equal(_ given: String, _ expected: String) -> Bool {
        let a = SHA256.hash(data: Data(given.utf8)), b = SHA256.hash(data: Data(expected.utf8))
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Set on a request the scrape token authenticated.
struct MetricsScrapeKey: StorageKey {
    typealias Value = Bool
}
