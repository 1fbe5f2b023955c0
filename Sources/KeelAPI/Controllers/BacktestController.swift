import Foundation
import KeelServices
import KeelWeb
import KeelWorkspace
import Vapor

/// Backtests as jobs: submit, then read the metrics and result, and the HTML report.
struct BacktestController: RouteCollection {
    let backtests: BacktestJobs
    let jobs: JobService

    func boot(routes: any RoutesBuilder) throws {
        routes.post("backtests", use: submit).openAPI("Submit a backtest (runs as a job)", body: BacktestBody.self, example: APIExamples.backtest, status: .accepted, response: .json(BacktestSubmitted.self))
        routes.get("backtests", ":backtest_id", use: get).openAPI("A backtest's status, and its outcome once finished")
        routes.get("backtests", ":backtest_id", "report", use: report).openAPI("A finished backtest's HTML report", response: .html)
    }

    func submit(req: Request) async throws -> Response {
        let body = try req.decodeBody(BacktestBody.self)
        let submitted = try await backtests.submit(try body.request(), by: req.principal, queue: jobs)
        return try await BacktestSubmitted(backtestId: submitted.backtestID, status: "running", jobId: submitted.jobID)
            .encodeResponse(status: .accepted, for: req)
    }

    /// The job with its outcome embedded as stored (snake_case JSON, like result.json).
    func get(req: Request) async throws -> BacktestStatusResponse {
        BacktestStatusResponse(try await backtests.get(req.parameters.get("backtest_id") ?? "", by: req.principal))
    }

    func report(req: Request) async throws -> Response {
        let record = try await backtests.get(req.parameters.get("backtest_id") ?? "", by: req.principal)
        // Rendered from the stored outcome (older rows may still carry a stored page).
        guard record.result.flatMap({ try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data($0.utf8)) }) != nil else {
            if let html = record.report { return Self.html(html) }
            throw ServiceError.conflict("report_not_ready", record.status == "failed" ? "the backtest failed: \(record.error ?? "")" : "the backtest is still running")
        }
        return Self.html(BacktestReportPage.render(BacktestsQuery.report(record)))
    }

    static func html(_ page: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: page))
    }
}
