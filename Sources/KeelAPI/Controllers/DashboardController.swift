import KeelWeb
import Vapor

/// `/` opens the advisor's workspace; the addresses of the first dashboard (`/dashboard`, `/dashboard/goals`)
/// lead to their workspace pages, so old bookmarks still work.
struct DashboardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        for (path, target, summary): ([PathComponent], WorkspaceRoute, String) in [
            ([], .overview, "The workspace (a redirect to /app)"),
            (["dashboard"], .overview, "The first dashboard's address: a redirect to the workspace"),
            (["dashboard", "goals"], .goals, "The first goals page's address: a redirect to the workspace's goals"),
        ] {
            routes.get(path, use: { req in req.redirect(to: target) })
                .openAPI(summary, status: .seeOther, response: .redirect)
        }
    }
}
