import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's operations pages: background jobs and alerts with their webhook deliveries (staff).
struct WorkspaceOperationsController: RouteCollection {
    let query: OperationsQuery

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.GET, .jobs, use: jobs).openAPI("Background jobs: status, progress, attempts (staff; refreshes while jobs run)", response: .html)
        routes.on(.GET, .alerts, use: alerts).openAPI("Alerts, open first, and their webhook deliveries (staff)", response: .html)
    }

    func jobs(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.jobs(kind: req.queryText("kind"), for: reader).response(req, viewer: reader.viewer, JobsPage.render)
    }

    func alerts(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.alerts(for: reader).response(req, viewer: reader.viewer, AlertsPage.render)
    }
}
