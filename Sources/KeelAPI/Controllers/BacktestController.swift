import Foundation
import KeelServices
import Vapor

/// Backtests as jobs: submit, then read the metrics and result, and the HTML report.
struct BacktestController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post("backtests", use: submit)
        routes.get("backtests", ":backtest_id", use: get)
        routes.get("backtests", ":backtest_id", "report", use: report)
    }

    func submit(req: Request) async throws -> Response {
        let body = try req.decodeBody(BacktestBody.self)
        let id = try await req.keel.backtests.submit(try body.request(), by: req.principal, queue: req.keel.jobs)
        return try await BacktestSubmitted(backtestId: id, status: "running").encodeResponse(status: .accepted, for: req)
    }

    /// The job with its outcome embedded as stored (snake_case JSON, like result.json).
    func get(req: Request) async throws -> Response {
        let record = try await req.keel.backtests.get(req.parameters.get("backtest_id") ?? "", by: req.principal)
        var body = "{\"backtest_id\":\(json(record.id)),\"status\":\(json(record.status)),\"created_at\":\(json(ISO8601DateFormatter().string(from: record.createdAt)))"
        if let error = record.error { body += ",\"error\":\(json(error))" }
        if let result = record.result { body += ",\"result\":\(result),\"report_url\":\(json("/api/backtests/\(record.id)/report"))" }
        body += "}"
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(string: body))
    }

    func report(req: Request) async throws -> Response {
        let record = try await req.keel.backtests.get(req.parameters.get("backtest_id") ?? "", by: req.principal)
        // Rendered from the stored outcome (older rows may still carry a stored page).
        guard let stored = record.result, let outcome = try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data(stored.utf8)) else {
            if let html = record.report { return Self.html(html) }
            throw ServiceError.conflict("report_not_ready", record.status == "failed" ? "the backtest failed: \(record.error ?? "")" : "the backtest is still running")
        }
        return Self.html(BacktestReport.html(outcome))
    }

    static func html(_ page: String) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: page))
    }

    func json(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
