import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's data page: pipeline runs, quality issues by severity, one symbol's prices with indicators (staff).
struct WorkspaceDataController: RouteCollection {
    let query: DataQuery

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.GET, .data, use: page)
            .openAPI("Pipeline runs with progress, quality issues by severity, a symbol's price chart with indicators (staff)", response: .html)
    }

    func page(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(symbol: req.queryText("symbol"), severity: req.queryText("severity"), for: reader)
            .response(req, viewer: reader.viewer, DataPage.render)
    }
}
