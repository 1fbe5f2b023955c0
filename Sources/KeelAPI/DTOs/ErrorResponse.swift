import Vapor

/// `{"error": {"code", "message", "field"}}`: the one error shape of the API.
struct ErrorResponse: Content {
    struct Body: Content {
        var code: String
        var message: String
        var field: String?
        /// For a conflict with an existing resource (e.g. the cycle already running): its id.
        var resourceId: String? = nil
    }

    var error: Body
}
