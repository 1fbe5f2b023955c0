import Vapor

/// `{"error": {"code", "message", "field"}}`: the one error shape of the API.
struct ErrorResponse: Content {
    struct Body: Content {
        var code: String
        var message: String
        var field: String?
    }

    var error: Body
}
