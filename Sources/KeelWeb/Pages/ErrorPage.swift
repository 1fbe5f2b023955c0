import Plot

/// What a workspace page answers when a request fails (a missing record, a form value refused, no such page, an
/// internal error): the status and the reason in the page chrome, with the way back, instead of the API's JSON.
public enum ErrorPage {
    /// `viewer`: nil when nobody is signed in (then no navigation is shown).
    public static func render(viewer: Viewer?, status: Int, title: String, message: String) -> String {
        PageLayout.document(title: title, section: nil, viewer: viewer, content: .group(
            .h1(.text(title)),
            .p(.class("notice"), .text(message)),
            .p(.class("muted"), .text("HTTP \(status)")),
            .p(.a(.href(to: .overview), "Back to the overview"))
        ))
    }

    /// A heading for a status a person understands.
    public static func title(status: Int) -> String {
        switch status {
        case 400, 422: "That request was refused"
        case 401: "Please sign in"
        case 403: "Not open to your role"
        case 404: "Not found"
        case 409: "That cannot be done now"
        case 429: "Too many requests"
        case 503: "Temporarily unavailable"
        default: status >= 500 ? "Something went wrong" : "That request was refused"
        }
    }
}
