import KeelServices
import Vapor

/// Requires `Authorization: Bearer <token>` and attaches the principal to the request.
struct BearerAuthMiddleware: AsyncMiddleware {
    let auth: AuthService

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = request.headers.bearerAuthorization?.token else {
            throw ServiceError(.unauthorized, code: "unauthorized", message: "a bearer token is required: POST /api/auth/login first")
        }
        guard let principal = try await auth.authenticate(token: token) else {
            throw ServiceError(.unauthorized, code: "invalid_token", message: "the bearer token is unknown or expired; log in again")
        }
        request.storage[PrincipalKey.self] = principal
        return try await next.respond(to: request)
    }
}

struct PrincipalKey: StorageKey {
    typealias Value = Principal
}

extension Request {
    var principal: Principal {
        get throws {
            guard let principal = storage[PrincipalKey.self] else {
                throw ServiceError(.unauthorized, code: "unauthorized", message: "not authenticated")
            }
            return principal
        }
    }

    /// An integer path parameter, or a 422 naming it.
    func intParameter(_ name: String) throws -> Int {
        guard let text = parameters.get(name), let value = Int(text) else {
            throw ServiceError.invalid(name, "\(name) must be an integer")
        }
        return value
    }

    func decodeBody<T: Decodable>(_ type: T.Type) throws -> T {
        guard let contentType = headers.contentType, contentType == .json || contentType.subType == "json" else {
            throw ServiceError(.badRequest, code: "unsupported_media_type", message: "send the body as JSON with Content-Type: application/json")
        }
        if let buffer = body.data { try JSONBodyScreen.check(Data(buffer.readableBytesView)) }
        return try content.decode(T.self)
    }
}
