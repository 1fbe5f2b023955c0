/// A failure a caller can act on, with the HTTP-independent kind that decides its status code.
public struct ServiceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case badRequest, unauthorized, forbidden, notFound, conflict, validation, tooManyRequests, unavailable
    }

    public var kind: Kind
    /// Stable machine-readable code, e.g. `duplicate_email`.
    public var code: String
    public var message: String
    /// The request field at fault, when there is one.
    public var field: String?
    /// For `tooManyRequests`: seconds until a retry may succeed (the Retry-After header).
    public var retryAfter: Int?
    /// For a conflict with an existing resource (e.g. the cycle already running): its id.
    public var resourceID: String?

    public init(_ kind: Kind, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code): \(message)" + (field.map { " (\($0))" } ?? "") }

    public static func notFound(_ what: String, field: String? = nil) -> ServiceError {
        ServiceError(.notFound, code: "not_found", message: "\(what) not found", field: field)
    }

    public static func invalid(_ field: String, _ message: String) -> ServiceError {
        ServiceError(.validation, code: "invalid_field", message: message, field: field)
    }

    public static func conflict(_ code: String, _ message: String, field: String? = nil) -> ServiceError {
        ServiceError(.conflict, code: code, message: message, field: field)
    }

    public static let forbidden = ServiceError(.forbidden, code: "forbidden", message: "this user may not access that resource")
}
