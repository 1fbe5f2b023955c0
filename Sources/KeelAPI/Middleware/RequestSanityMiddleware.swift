import KeelServices
import Vapor

/// Refuses, before any route runs, what no route can store faithfully: a NUL byte in the path or a query
/// parameter (PostgreSQL refuses it, SQLite cuts the text at it), and request headers beyond a sane size
/// (431). Bodies are checked where they are decoded (`Request.decodeBody`).
struct RequestSanityMiddleware: AsyncMiddleware {
    static let maximumHeaderBytes = 16 * 1024

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let headerBytes = request.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        if headerBytes > Self.maximumHeaderBytes {
            return try Self.error(.init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"), code: "headers_too_large",
                                  message: "request headers are \(headerBytes) bytes; at most \(Self.maximumHeaderBytes) are accepted", field: nil)
        }
        let path = request.url.path.removingPercentEncoding ?? request.url.path
        if path.unicodeScalars.contains("\0") {
            throw ServiceError.invalid("path", "the path contains a NUL character")
        }
        if let query = request.url.query {
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ") }
                let name = parts.first.flatMap { $0.removingPercentEncoding } ?? parts.first ?? ""
                let value = parts.count > 1 ? (parts[1].removingPercentEncoding ?? parts[1]) : ""
                if name.unicodeScalars.contains("\0") || value.unicodeScalars.contains("\0") {
                    throw ServiceError.invalid(name.replacingOccurrences(of: "\0", with: ""), "query parameter \(name.debugDescription) contains a NUL character")
                }
            }
        }
        return try await next.respond(to: request)
    }

    static func error(_ status: HTTPResponseStatus, code: String, message: String, field: String?) throws -> Response {
        let response = Response(status: status)
        try response.content.encode(ErrorResponse(error: .init(code: code, message: message, field: field)), using: KeelJSON.encoder)
        return response
    }
}
