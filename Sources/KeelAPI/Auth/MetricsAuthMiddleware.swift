import Foundation
import Vapor

/// `/metrics` accepts the configured scrape token (compared in constant time) and otherwise a session token, as
/// every other secured route does. Prometheus: `authorization: {type: Bearer, credentials: <KEEL_METRICS_TOKEN>}`.
struct MetricsAuthMiddleware: AsyncMiddleware {
    let scrapeToken: String?
    let sessions: BearerAuthMiddleware

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let scrapeToken, let given = request.headers.bearerAuthorization?.token, WebSession.same(given, scrapeToken) {
            request.storage[MetricsScrapeKey.self] = true
            return try await next.respond(to: request)
        }
        return try await sessions.respond(to: request, chainingTo: next)
    }
}

/// Set on a request the scrape token authenticated.
struct MetricsScrapeKey: StorageKey {
    typealias Value = Bool
}
