import Vapor

struct DashboardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: page).openAPI("The advisor dashboard", response: .html)
        routes.get("dashboard", use: page).openAPI("The advisor dashboard", response: .html)
        routes.get("dashboard", "goals", use: goals).openAPI("The goals dashboard", response: .html)
    }

    func goals(req: Request) async throws -> Response {
        html(GoalsPage.render())
    }

    func page(req: Request) async throws -> Response {
        html(DashboardPage.render())
    }

    func html(_ body: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.add(name: "Content-Security-Policy", value: "default-src 'self' 'unsafe-inline'")
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }
}
