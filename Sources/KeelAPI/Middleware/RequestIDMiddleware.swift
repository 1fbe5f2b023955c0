import Foundation
import Vapor

/// Every request carries an id: the caller's `X-Request-Id` when it is a sane token, else a new one. It is in
/// every log line of the request (metadata `request_id`) and returned in the response's `X-Request-Id`.
struct RequestIDMiddleware: AsyncMiddleware {
    static let header = "X-Request-Id"
    static let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let given = request.headers.first(name: Self.header)
        let sane = given.flatMap { (1...128).contains($0.count) && $0.allSatisfy(Self.allowed.contains) ? $0 : nil }
        // Vapor's own id when none was sent; a new one when the sent one is not a plain token (no log injection).
        let id = sane ?? (given == nil ? request.id : UUID().uuidString.lowercased())
        request.logger[metadataKey: "request_id"] = .string(id)
        // Vapor labels its own id `request-id`: one key per line, ours (it may be the caller's id).
        request.logger[metadataKey: "request-id"] = nil
        // The error middleware sits inside this one, so error responses carry the id too.
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: Self.header, value: id)
        return response
    }
}
