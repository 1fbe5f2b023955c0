import Foundation
import KeelCore
import KeelML
import KeelServices
import Vapor

/// The market-data pipeline over HTTP: start and follow runs, the quality report, bars, indicators and
/// fundamentals as of a date.
struct DataController: RouteCollection {
    let marketData: MarketDataQueries
    let pipeline: PipelineService
    let jobs: JobService
    let clock: any KeelClock
    /// The folder CSV imports may read from (nil: anywhere the process can read).
    let importRoot: String?

    func boot(routes: any RoutesBuilder) throws {
        let data = routes.grouped("data")
        data.post("pipeline", "runs", use: startRun).openAPI("Start a market-data pipeline run (staff): a job, or inline with wait", body: PipelineRunRequest.self, status: .accepted, response: .json(PipelineRunResponse.self), alternatives: [.ok: PipelineRunResponse.self])
        data.get("pipeline", "runs", use: listRuns).openAPI("Recent pipeline runs (staff)", query: [.limit(default: 50, max: 500)])
        data.get("pipeline", "runs", ":run_id", use: getRun).openAPI("A pipeline run (staff)")
        data.post("pipeline", "runs", ":run_id", "resume", use: resumeRun).openAPI("Resume a failed pipeline run from its cursor (staff)")
        data.get("quality", use: quality).openAPI("Data-quality issues found by validation", query: [.string("symbol", "only this symbol's"), .string("severity", "only this severity"), .string("kind", "only this kind of issue"), .limit(default: 500, max: 10_000)])
        data.get("bars", ":symbol", use: bars).openAPI("Stored price bars of a symbol", query: Self.rangeQuery + [.limit(default: 5_000, max: 100_000)])
        data.get("indicators", ":symbol", use: indicators).openAPI("Technical indicators of a symbol, column by column", query: Self.rangeQuery)
        data.get("fundamentals", ":symbol", use: fundamentals).openAPI("A symbol's fundamentals as of a date", query: [.date("as_of", "the date (default today)")])
        data.get("features", use: features).openAPI("Model features of symbols", query: [.string("symbols", "comma-separated symbols, e.g. AAPL,MSFT", required: true), .date("from", "first day"), .date("to", "last day")])
    }

    func features(req: Request) async throws -> FeaturesResponse {
        _ = try req.principal
        guard let list = try req.query.get(String?.self, at: "symbols") else { throw ServiceError.invalid("symbols", "symbols is required, e.g. AAPL,MSFT") }
        let from = try req.query.get(String?.self, at: "from").map { try Self.date($0, field: "from") }
        let to = try req.query.get(String?.self, at: "to").map { try Self.date($0, field: "to").addingTimeInterval(86_399) }
        let rows = try await marketData.features(symbols: list.split(separator: ",").map(String.init), from: from, to: to)
        return FeaturesResponse(names: FeatureBuilder.names, rows: rows.prefix(50_000).map {
            FeaturesResponse.Row(symbol: $0.symbol, date: $0.date, values: $0.values.map { $0.isNaN ? nil : $0 })
        })
    }

    func startRun(req: Request) async throws -> Response {
        let body = try req.decodeBody(PipelineRunRequest.self)
        let input = PipelineRunInput(mode: body.mode, source: body.source, path: body.path, symbol: body.symbol, interval: body.interval, asOf: body.asOf,
                                     seed: body.seed, symbols: body.symbols, clientID: body.clientId, years: body.years,
                                     from: try body.from.map { try Self.date($0, field: "from") },
                                     to: try body.to.map { try Self.date($0, field: "to").addingTimeInterval(86_399) }, policy: body.policy, wait: body.wait == true)
        let (run, jobID) = try await pipeline.submit(input, importRoot: importRoot, jobs: jobs, by: req.principal)
        var response = PipelineRunResponse(run)
        response.jobId = jobID
        return try await response.encodeResponse(status: jobID == nil ? .ok : .accepted, for: req)
    }

    func listRuns(req: Request) async throws -> [PipelineRunResponse] {
        try req.principal.ensureStaff()
        let limit = try FieldValidation.range(try req.query.get(Int?.self, at: "limit") ?? 50, 1...500, field: "limit")
        return try await marketData.runs(limit: limit).map(PipelineRunResponse.init)
    }

    func getRun(req: Request) async throws -> PipelineRunResponse {
        try req.principal.ensureStaff()
        return PipelineRunResponse(try await pipeline.run(req.parameters.get("run_id") ?? ""))
    }

    func resumeRun(req: Request) async throws -> PipelineRunResponse {
        try req.principal.ensureStaff()
        return PipelineRunResponse(try await pipeline.resume(req.parameters.get("run_id") ?? ""))
    }

    func quality(req: Request) async throws -> QualityReportResponse {
        _ = try req.principal
        let symbol = try req.query.get(String?.self, at: "symbol")
        let limit = try FieldValidation.range(try req.query.get(Int?.self, at: "limit") ?? 500, 1...10_000, field: "limit")
        let issues = try await marketData.issues(symbol: symbol, severity: try req.query.get(String?.self, at: "severity"),
                                                          kind: try req.query.get(String?.self, at: "kind"), limit: limit)
        let counts = try await marketData.issueCounts(symbol: symbol)
        return QualityReportResponse(
            counts: counts.map { .init(kind: $0.kind, severity: $0.severity, count: $0.count) },
            issues: issues.map { QualityIssueResponse(symbol: $0.symbol, interval: $0.interval, time: $0.timestamp, kind: $0.kind,
                                                      severity: $0.severity, action: $0.action, detail: $0.detail, runId: $0.runID) })
    }

    func bars(req: Request) async throws -> [BarResponse] {
        _ = try req.principal
        let (symbol, interval, from, to) = try Self.range(req)
        let limit = try FieldValidation.range(try req.query.get(Int?.self, at: "limit") ?? 5_000, 1...100_000, field: "limit")
        return try await marketData.bars(symbol: symbol, interval: interval, from: from, to: to, limit: limit).map {
            BarResponse(time: $0.timestamp, open: $0.open, high: $0.high, low: $0.low, close: $0.close, adjClose: $0.adjustedClose,
                        volume: $0.volume, quality: $0.quality)
        }
    }

    func indicators(req: Request) async throws -> IndicatorRowsResponse {
        _ = try req.principal
        let (symbol, interval, from, to) = try Self.range(req)
        let rows = try await marketData.indicators(symbol: symbol, interval: interval, from: from, to: to)
        return IndicatorRowsResponse(symbol: symbol.uppercased(), interval: interval, columns: IndicatorTable.columns, times: rows.timestamps,
                                     values: rows.columns.map { $0.map { $0.isNaN ? nil : $0 } })
    }

    func fundamentals(req: Request) async throws -> FundamentalsResponse {
        _ = try req.principal
        let asOf = try req.query.get(String?.self, at: "as_of").map { try Self.date($0, field: "as_of").addingTimeInterval(86_399) }
            ?? clock.now()
        return FundamentalsResponse(try await marketData.fundamentals(symbol: req.parameters.get("symbol") ?? "", asOf: asOf))
    }

    static let rangeQuery: [QueryParameter] = [
        .string("interval", "bar interval (default 1d)"), .date("from", "first day"), .date("to", "last day"),
    ]

    static func range(_ req: Request) throws -> (String, String, Date?, Date?) {
        let symbol = req.parameters.get("symbol") ?? ""
        let interval = try req.query.get(String?.self, at: "interval") ?? "1d"
        let from = try req.query.get(String?.self, at: "from").map { try date($0, field: "from") }
        let to = try req.query.get(String?.self, at: "to").map { try date($0, field: "to").addingTimeInterval(86_399) }
        return (symbol, interval, from, to)
    }

    static func date(_ text: String, field: String) throws -> Date {
        try FieldValidation.instant(text, field: field)
    }
}
