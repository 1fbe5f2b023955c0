import Foundation

/// What went wrong talking to Schwab, split by what the caller may do next.
public enum SchwabError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 401: the access token is invalid or expired, or the app may not see the account.
    case unauthorized(String)
    /// The refresh token is expired or revoked: only a new browser login helps.
    case refreshTokenRejected(String)
    /// Any other OAuth error (`invalid_client`, `invalid_grant`, …).
    case oauth(error: String, description: String)
    /// 429 after the allowed retries.
    case rateLimited(retryAfter: TimeInterval?)
    /// 400 with Schwab's message (`Invalid account number`, order validation, …).
    case badRequest(String)
    case notFound(String)
    case forbidden(String)
    /// 5xx: for an order request, Schwab may or may not have acted.
    case server(status: Int, body: String)
    /// No answer in time, or the connection broke: the outcome of a write is unknown.
    case transport(String)
    /// The body was not what the status promised (HTML "Access Denied", plain text, a new shape).
    case unexpectedBody(status: Int, body: String)

    public var description: String {
        switch self {
        case .unauthorized(let m): "Schwab: unauthorized (\(m))"
        case .refreshTokenRejected(let m): "Schwab: refresh token rejected; a new login is needed (\(m))"
        case .oauth(let e, let d): "Schwab OAuth: \(e): \(d)"
        case .rateLimited(let after): "Schwab: rate limited" + (after.map { " (retry after \(Int($0)) s)" } ?? "")
        case .badRequest(let m): "Schwab: bad request: \(m)"
        case .notFound(let m): "Schwab: not found: \(m)"
        case .forbidden(let m): "Schwab: forbidden: \(m)"
        case .server(let s, let b): "Schwab: server error \(s): \(b.prefix(200))"
        case .transport(let m): "Schwab: no answer (\(m))"
        case .unexpectedBody(let s, let b): "Schwab: unexpected \(s) response: \(b.prefix(200))"
        }
    }

    /// True when a write may have reached Schwab (so it must not be blindly repeated).
    public var outcomeUnknown: Bool {
        switch self {
        case .server, .transport: true
        default: false
        }
    }
}
