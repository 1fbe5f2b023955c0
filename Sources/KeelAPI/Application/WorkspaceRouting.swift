import KeelWeb
import KeelWorkspace
import Vapor

/// A value to stand in for a route's argument when only its pattern is wanted.
protocol RoutePlaceholder { static var placeholder: Self { get } }
extension Int: RoutePlaceholder { static var placeholder: Int { 0 } }
extension String: RoutePlaceholder { static var placeholder: String { "" } }

/// Workspace routes registered from `WorkspaceRoute`, the same enum every link and form action is built from.
/// A route with arguments is named by its case (`WorkspaceRoute.client`), so no placeholder is typed by hand.
extension RoutesBuilder {
    @discardableResult
    func on<Response: AsyncResponseEncodable>(_ method: HTTPMethod, _ route: WorkspaceRoute,
                                              use handler: @escaping @Sendable (Request) async throws -> Response) -> Route {
        on(method, route.pattern.map { PathComponent(stringLiteral: $0) }, use: handler)
    }

    @discardableResult
    func on<A: RoutePlaceholder, Response: AsyncResponseEncodable>(_ method: HTTPMethod, _ route: (A) -> WorkspaceRoute,
                                                                   use handler: @escaping @Sendable (Request) async throws -> Response) -> Route {
        on(method, route(.placeholder), use: handler)
    }

    @discardableResult
    func on<A: RoutePlaceholder, B: RoutePlaceholder, Response: AsyncResponseEncodable>(
        _ method: HTTPMethod, _ route: (A, B) -> WorkspaceRoute, use handler: @escaping @Sendable (Request) async throws -> Response
    ) -> Route {
        on(method, route(.placeholder, .placeholder), use: handler)
    }
}

extension Request {
    /// A redirect (303) to a workspace route.
    func redirect(to route: WorkspaceRoute, _ query: KeyValuePairs<String, String?> = [:], fragment: String? = nil) -> Response {
        redirect(to: route.href(query, fragment: fragment), redirectType: .normal)
    }

    /// Who asks for a workspace page.
    var pageViewer: PageViewer {
        get throws {
            let (principal, viewer) = try WebSession.viewer(self)
            return PageViewer(principal: principal, viewer: viewer)
        }
    }

    /// A query parameter as text, or nil when absent or not text.
    func queryText(_ name: String) -> String? { try? query.get(String.self, at: name) }
}

extension PageOutcome {
    /// The page rendered by `view`, the notice in the chrome (404 for a missing record), or the redirect.
    func response(_ req: Request, viewer: Viewer, formRedirect: String? = nil, _ view: (Model) -> String) -> Response {
        switch self {
        case .page(let model): WebSession.page(view(model), formRedirect: formRedirect)
        case .notice(let title, let message, let missing):
            WebSession.page(NoticePage.render(viewer: viewer, title: title, message: message), status: missing ? .notFound : .ok)
        case .redirect(let route): req.redirect(to: route)
        }
    }
}
