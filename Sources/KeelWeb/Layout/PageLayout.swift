import Plot

/// The workspace's sections, in the order of the navigation bar.
public enum WorkspaceSection: String, Sendable, CaseIterable {
    case overview, clients, approvals, goals, models, autonomous, data, backtests, jobs, alerts

    var title: String {
        switch self {
        case .overview: "Overview"
        case .clients: "Clients"
        case .approvals: "Approvals"
        case .goals: "Goals"
        case .models: "Models"
        case .autonomous: "Autonomous"
        case .data: "Data"
        case .backtests: "Backtests"
        case .jobs: "Jobs"
        case .alerts: "Alerts"
        }
    }

    var route: WorkspaceRoute {
        switch self {
        case .overview: .overview
        case .clients: .clients
        case .approvals: .approvals
        case .goals: .goals
        case .models: .models
        case .autonomous: .autonomous
        case .data: .data
        case .backtests: .backtests
        case .jobs: .jobs
        case .alerts: .alerts
        }
    }

    static let available: [WorkspaceSection] = WorkspaceSection.allCases

    /// A client login sees its own book and goals; the other sections are the advisors'.
    static func available(to role: String) -> [WorkspaceSection] {
        role == "client" ? [.clients, .goals] : available
    }

    /// How a section is named for a role (a client's "Clients" is its own account).
    func title(for role: String) -> String { role == "client" && self == .clients ? "My account" : title }
}

/// Who is signed in, as the chrome shows it, and the CSRF token every form of the page carries.
public struct Viewer: Sendable, Hashable {
    public var userID: String
    public var role: String
    public var csrfToken: String

    public init(userID: String, role: String, csrfToken: String) {
        self.userID = userID
        self.role = role
        self.csrfToken = csrfToken
    }
}

/// The one page chrome: head with the inlined stylesheet, the navigation, who is signed in and sign-out.
enum PageLayout {
    /// `refreshSeconds`: the page reloads itself (a meta refresh) while something it shows is running.
    static func document(title: String, section: WorkspaceSection?, viewer: Viewer?, refreshSeconds: Int? = nil, content: Node<HTML.BodyContext>) -> String {
        let html = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .meta(.name("viewport"), .content("width=device-width, initial-scale=1")),
                // No icon to fetch: a browser's request for /favicon.ico would only end in a 404.
                .link(.rel(.icon), .href("data:,")),
                // Only `<title>`: Plot's `.title()` also writes og:/twitter: preview tags with the text unescaped in an
                // attribute, and private pages have nothing to preview.
                .element(named: "title", text: "\(title) · Keel"),
                .unwrap(refreshSeconds) { .meta(.attribute(named: "http-equiv", value: "refresh"), .content(String($0))) },
                .element(named: "style", text: Styles.css)
            ),
            .body(
                .header(
                    .class("top"),
                    .span(.class("brand"), "Keel"),
                    .unwrap(viewer) { viewer in
                        .nav(
                            .attribute(named: "aria-label", value: "Sections"),
                            .forEach(WorkspaceSection.available(to: viewer.role)) { item in
                                .a(.href(to: item.route), .if(item == section, .attribute(named: "aria-current", value: "page")), .text(item.title(for: viewer.role)))
                            }
                        )
                    },
                    .unwrap(viewer) { viewer in
                        .div(
                            .class("who"),
                            .text("\(viewer.userID) (\(viewer.role)) "),
                            .form(
                                .class("inline"), .method(.post), .action(to: .signOut),
                                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(viewer.csrfToken))),
                                .button(.class("secondary"), .type(.submit), "Sign out")
                            )
                        )
                    }
                ),
                .main(content)
            )
        )
        return html.render()
    }
}
