import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// Turns every error into the API's JSON error shape with the right status (an HTML page in the chrome for the
/// workspace's `/app` pages); unexpected errors become a 500 that reveals nothing internal (the details go to the log).
struct KeelErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let (status, body) = Self.describe(error)
            if status == .internalServerError {
                request.logger.error("unhandled error on \(request.method) \(request.url.path): \(String(reflecting: error))")
            }
            if request.url.path == "/app" || request.url.path.hasPrefix("/app/") {
                let viewer = try? WebSession.viewer(request).1
                let response = WebSession.page(ErrorPage.render(viewer: viewer, status: Int(status.code), title: ErrorPage.title(status: Int(status.code)),
                                                                message: body.message), status: status)
                if let retryAfter = (error as? ServiceError)?.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
                return response
            }
            let response = Response(status: status)
            if let retryAfter = (error as? ServiceError)?.retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            try response.content.encode(ErrorResponse(error: body), using: KeelJSON.encoder)
            return response
        }
    }

    static func describe(_ error: any Error) -> (HTTPStatus, ErrorResponse.Body) {
        switch error {
        case let error as ServiceError:
            return (status(of: error.kind), .init(code: error.code, message: error.message, field: error.field, resourceId: error.resourceID))
        case let error as DecodingError:
            return decodingFailure(error)
        case let error as StoreError:
            switch error {
            case .duplicate: return (.conflict, .init(code: "duplicate", message: "a record with these unique values already exists"))
            case .foreignKey: return (.conflict, .init(code: "reference_violation", message: "a referenced record is missing or still in use"))
            case .notFound(let what): return (.notFound, .init(code: "not_found", message: "\(what) not found"))
            case .corrupt: return (.internalServerError, .init(code: "internal_error", message: "stored data could not be read"))
            }
        case let abort as any AbortError:
            let code: String = switch abort.status {
            case .notFound: "not_found"
            case .unauthorized: "unauthorized"
            case .forbidden: "forbidden"
            case .payloadTooLarge: "payload_too_large"
            case .unsupportedMediaType: "unsupported_media_type"
            case .methodNotAllowed: "method_not_allowed"
            default: abort.status.code < 500 ? "bad_request" : "internal_error"
            }
            return (abort.status, .init(code: code, message: abort.reason))
        default:
            return (.internalServerError, .init(code: "internal_error", message: "an internal error occurred; it has been logged"))
        }
    }

    static func status(of kind: ServiceError.Kind) -> HTTPStatus {
        switch kind {
        case .badRequest: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .validation: .unprocessableEntity
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        }
    }

    /// A body that does not match the expected types: 422 naming the field, or 400 for malformed JSON.
    static func decodingFailure(_ error: DecodingError) -> (HTTPStatus, ErrorResponse.Body) {
        func path(_ context: DecodingError.Context) -> String? {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }
            return keys.isEmpty ? nil : keys.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = path(context)
            return (.unprocessableEntity, .init(code: "invalid_field", message: "\(field ?? "body") must be of type \(friendlyName(type))", field: field))
        case .valueNotFound(let type, let context):
            let field = path(context)
            return (.unprocessableEntity, .init(code: "invalid_field", message: "\(field ?? "body") must be a \(friendlyName(type)), not null", field: field))
        case .keyNotFound(let key, let context):
            let field = (path(context).map { $0 + "." } ?? "") + snakeCase(key.stringValue)
            return (.unprocessableEntity, .init(code: "invalid_field", message: "\(field) is required", field: field))
        case .dataCorrupted(let context):
            if let field = path(context) {
                let message = context.debugDescription == KeelJSON.dateFormats ? "\(field) \(KeelJSON.dateFormats)" : "\(field) has an invalid value"
                return (.unprocessableEntity, .init(code: "invalid_field", message: message, field: field))
            }
            return (.badRequest, .init(code: "malformed_json", message: "the request body is not valid JSON"))
        @unknown default:
            return (.badRequest, .init(code: "bad_request", message: "the request body could not be read"))
        }
    }

    static func friendlyName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "Int", "Int64", "Double", "Decimal": return "number"
        case "Bool": return "boolean"
        case "String": return "string"
        default: return name.hasPrefix("Array") ? "array" : name.lowercased()
        }
    }

    static func snakeCase(_ key: String) -> String {
        var out = ""
        for character in key {
            if character.isUppercase {
                if !out.isEmpty { out.append("_") }
                out.append(contentsOf: character.lowercased())
            } else {
                out.append(character)
            }
        }
        return out
    }
}
