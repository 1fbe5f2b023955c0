import Vapor

/// Headers every response carries: no framing (clickjacking), no MIME sniffing, no referrer leaks, and no
/// caching of API answers or pages (they hold account data). Outermost, so errors carry them too.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    static let headers: [(String, String)] = [
        ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
    ]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        for (name, value) in Self.headers {
            // A response may carry a stricter policy of its own (the workspace's pages run no script at all).
            if name == "Content-Security-Policy", response.headers.contains(name: name) { continue }
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }
}
