import Foundation
import KeelStore

/// A pipeline run asked for over HTTP: where the bars come from (a CSV under the import root, the simulator, or a
/// client's Schwab login) and how the run goes.
public struct PipelineRunInput: Sendable {
    public var mode: String?
    public var source: String?
    public var path: String?
    public var symbol: String?
    public var interval: String?
    public var asOf: String?
    public var seed: UInt64?
    public var symbols: [String]?
    public var clientID: Int?
    public var years: Int?
    public var from: Date?
    public var to: Date?
    public var policy: [String: String]?
    /// Run to completion before answering; otherwise a job runs it.
    public var wait: Bool

    public init(mode: String?, source: String?, path: String?, symbol: String?, interval: String?, asOf: String?, seed: UInt64?, symbols: [String]?,
                clientID: Int?, years: Int?, from: Date?, to: Date?, policy: [String: String]?, wait: Bool) {
        self.mode = mode
        self.source = source
        self.path = path
        self.symbol = symbol
        self.interval = interval
        self.asOf = asOf
        self.seed = seed
        self.symbols = symbols
        self.clientID = clientID
        self.years = years
        self.from = from
        self.to = to
        self.policy = policy
        self.wait = wait
    }
}

extension PipelineService {
    /// Starts a run (staff; a Schwab source also needs access to the client whose login reads the prices): the
    /// finished run when `wait`, else the run and the job that runs it (a job, not a detached task: a restart or a
    /// dead worker resumes it from the run's cursor).
    public func submit(_ input: PipelineRunInput, importRoot: String?, jobs: JobService, by principal: Principal) async throws
        -> (run: PipelineRunRecord, jobID: String?) {
        try principal.ensureStaff()
        guard let mode = PipelineMode(rawValue: input.mode ?? "full") else {
            throw ServiceError.invalid("mode", "mode must be one of full, incremental, backfill")
        }
        let provider: any MarketDataProvider
        switch input.source ?? "simulator" {
        case "csv":
            guard let path = input.path, !path.isEmpty else { throw ServiceError.invalid("path", "path is required for a csv source") }
            provider = CSVMarketDataProvider(path: try Self.allowedPath(path, root: importRoot),
                                             symbolOverride: input.symbol, intervalOverride: input.interval, asOfOverride: input.asOf)
        case "simulator":
            provider = SimulatorMarketDataProvider(seed: input.seed ?? DemoMarketSeeder.defaultSeed, historyDays: 760,
                                                   symbols: input.symbols?.map { $0.uppercased() }, clock: context.clock)
        case "schwab":
            guard let schwab else { throw ServiceError(.unavailable, code: "schwab_not_configured", message: "Schwab is not configured on this server") }
            guard let clientID = input.clientID else { throw ServiceError.invalid("client_id", "client_id (whose Schwab login reads the prices) is required") }
            try principal.ensureAccess(toClient: clientID)
            provider = SchwabPriceHistoryProvider(clientID: clientID, symbols: input.symbols ?? [], years: input.years ?? 1, schwab: schwab)
        default:
            throw ServiceError.invalid("source", "source must be csv, simulator or schwab")
        }
        let run = try await start(mode: mode, provider: provider, parameters: PipelineParameters(from: input.from, to: input.to, policy: input.policy),
                                  by: principal.userID)
        if input.wait { return (try await execute(run.runID), nil) }
        let job = try await jobs.enqueue(kind: "pipeline.run", payload: try StoredJSON.encode(["run_id": run.runID]),
                                         idempotencyKey: "pipeline:\(run.runID)", createdBy: principal.userID)
        return (run, job.jobID)
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
