import KeelServices
import Vapor

/// `GET /metrics`: every series in the Prometheus text format (Vapor's request counters and latencies by route,
/// and Keel's own), for the configured scrape token (`KEEL_METRICS_TOKEN`, which does not expire) or a staff session.
struct MetricsController: RouteCollection {
    let jobs: JobService
    func boot(routes: any RoutesBuilder) throws {
        routes.get("metrics", use: metrics).openAPI("Prometheus metrics (the scrape token or a staff session)", response: .text)
    }

    func metrics(req: Request) async throws -> Response {
        if req.storage[MetricsScrapeKey.self] != true { try req.principal.ensureStaff() }
        try await jobs.recordLevels()
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        return Response(status: .ok, headers: headers, body: .init(string: MetricsBackend.registry.emitToString()))
    }
}
