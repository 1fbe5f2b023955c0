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
    let schwab: SchwabLinkService?
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
        let principal = try req.principal
        try principal.ensureStaff()
        let body = try req.decodeBody(PipelineRunRequest.self)
        guard let mode = PipelineMode(rawValue: body.mode ?? "full") else {
            throw ServiceError.invalid("mode", "mode must be one of full, incremental, backfill")
        }
        let provider: any MarketDataProvider
        switch body.source ?? "simulator" {
        case "csv":
            guard let path = body.path, !path.isEmpty else { throw ServiceError.invalid("path", "path is required for a csv source") }
            provider = CSVMarketDataProvider(path: try Self.allowedPath(path, root: importRoot),
                                             symbolOverride: body.symbol, intervalOverride: body.interval, asOfOverride: body.asOf)
        case "simulator":
            provider = SimulatorMarketDataProvider(seed: body.seed ?? DemoMarketSeeder.defaultSeed, historyDays: 760,
                                                   symbols: body.symbols?.map { $0.uppercased() }, clock: clock)
        case "schwab":
            guard let schwab = schwab else { throw ServiceError(.unavailable, code: "schwab_not_configured", message: "Schwab is not configured on this server") }
            guard let clientID = body.clientId else { throw ServiceError.invalid("client_id", "client_id (whose Schwab login reads the prices) is required") }
            try principal.ensureAccess(toClient: clientID)
            provider = SchwabPriceHistoryProvider(clientID: clientID, symbols: body.symbols ?? [], years: body.years ?? 1, schwab: schwab)
        default:
            throw ServiceError.invalid("source", "source must be csv, simulator or schwab")
        }
        let parameters = PipelineParameters(from: try body.from.map { try Self.date($0, field: "from") },
                                            to: try body.to.map { try Self.date($0, field: "to").addingTimeInterval(86_399) },
                                            policy: body.policy)
        let run = try await pipeline.start(mode: mode, provider: provider, parameters: parameters, by: principal.userID)
        if body.wait == true {
            return try await PipelineRunResponse(try await pipeline.execute(run.runID)).encodeResponse(status: .ok, for: req)
        }
        // A job, not a detached task: a restart or a dead worker resumes it from the run's cursor.
        let job = try await jobs.enqueue(kind: "pipeline.run", payload: try StoredJSON.encode(["run_id": run.runID]),
                                                  idempotencyKey: "pipeline:\(run.runID)", createdBy: principal.userID)
        var response = PipelineRunResponse(run)
        response.jobId = job.jobID
        return try await response.encodeResponse(status: .accepted, for: req)
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

    /// Server-side paths are allowed only inside the configured import root.
    static func allowedPath(_ path: String, root: String?) throws -> String {
        guard let root else {
            throw ServiceError(.forbidden, code: "csv_import_disabled",
                               message: "this server imports CSV files over HTTP only from a configured import root; use `keel data import`", field: "path")
        }
        let resolvedRoot = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
        let resolved = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: root)).standardizedFileURL.resolvingSymlinksInPath().path
        let prefix = resolvedRoot.hasSuffix("/") ? resolvedRoot : resolvedRoot + "/"
        guard resolved == resolvedRoot || resolved.hasPrefix(prefix) else {
            throw ServiceError(.forbidden, code: "path_outside_import_root", message: "path must lie inside the import root", field: "path")
        }
        return resolved
    }
}
