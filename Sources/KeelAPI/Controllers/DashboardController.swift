import Vapor

struct DashboardController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: page)
        routes.get("dashboard", use: page)
    }

    func page(req: Request) async throws -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.add(name: "Content-Security-Policy", value: "default-src 'self' 'unsafe-inline'")
        return Response(status: .ok, headers: headers, body: .init(string: DashboardPage.render()))
    }
}
