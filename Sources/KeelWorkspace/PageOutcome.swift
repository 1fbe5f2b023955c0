import KeelServices
import KeelWeb

/// Who asks for a page: the principal every read is checked against, and the chrome's view of it.
public struct PageViewer: Sendable {
    public var principal: Principal
    public var viewer: Viewer

    public init(principal: Principal, viewer: Viewer) {
        self.principal = principal
        self.viewer = viewer
    }
}

/// What a page query answers: the page's model, a notice in its place (a section that is not this login's, a
/// record that does not exist or is not its to see), or another page to go to.
public enum PageOutcome<Model: Sendable>: Sendable {
    case page(Model)
    case notice(title: String, message: String, missing: Bool = false)
    case redirect(WorkspaceRoute)

    /// The staff-only sections answer this notice to a client login.
    static func staffOnly(_ title: String, _ message: String) -> PageOutcome { .notice(title: title, message: message) }
}

extension PageViewer {
    /// Whether the section is open to this login, by the services' own staff check.
    var isStaff: Bool { (try? principal.ensureStaff()) != nil }
}
