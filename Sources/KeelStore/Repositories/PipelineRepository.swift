import FluentKit
import Foundation
import KeelCore
import SQLKit

public enum PipelineRunStatus: String, Sendable, Codable {
    case running, succeeded, failed
}

public struct PipelineRunRecord: Sendable, Hashable {
    public var runID: String
    public var mode: String
    public var status: PipelineRunStatus
    /// What the run reads from, as JSON (provider kind and its settings), so `resume` can rebuild it.
    public var source: String
    /// Mode parameters as JSON (date range, interval, symbol override).
    public var parameters: String
    public var symbols: [String]
    public var cursor: Int
    /// Per-symbol counts as JSON: {"AAPL": {"fetched": 1233, "stored": 1233, ...}}.
    public var symbolCounts: String
    public var barsFetched: Int
    public var barsStored: Int
    public var barsRejected: Int
    public var barsQuarantined: Int
    public var issuesFound: Int
    public var error: String?
    public var startedBy: String
    public var startedAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?

    public init(runID: String, mode: String, source: String, parameters: String, symbols: [String], startedBy: String, at now: Date) {
        self.runID = runID
        self.mode = mode
        self.status = .running
        self.source = source
        self.parameters = parameters
        self.symbols = symbols
        self.cursor = 0
        self.symbolCounts = "{}"
        self.barsFetched = 0
        self.barsStored = 0
        self.barsRejected = 0
        self.barsQuarantined = 0
        self.issuesFound = 0
        self.startedBy = startedBy
        self.startedAt = now
        self.updatedAt = now
    }
}

public struct QualityIssueRecord: Sendable, Hashable {
    public var issueID: Int
    public var runID: String?
    public var symbol: String
    public var interval: String
    public var timestamp: Date
    public var kind: String
    public var severity: String
    public var action: String
    public var detail: String
    public var detectedAt: Date

    public init(issueID: Int, runID: String?, symbol: String, interval: String, timestamp: Date, kind: String, severity: String,
                action: String, detail: String, detectedAt: Date) {
        self.issueID = issueID
        self.runID = runID
        self.symbol = symbol
        self.interval = interval
        self.timestamp = timestamp
        self.kind = kind
        self.severity = severity
        self.action = action
        self.detail = detail
        self.detectedAt = detectedAt
    }
}

public struct FundamentalSnapshot: Sendable, Hashable {
    public var symbol: String
    public var asOf: Date
    public var name: String?
    public var sector: String?
    public var subIndustry: String?
    public var price: Double?
    public var peRatio: Double?
    /// A fraction (0.0233 = 2.33%), whatever unit the source used.
    public var dividendYield: Double?
    public var eps: Double?
    public var week52Low: Double?
    public var week52High: Double?
    public var marketCap: Double?
    public var ebitda: Double?
    public var priceToSales: Double?
    public var priceToBook: Double?
    public var source: String

    public init(symbol: String, asOf: Date, source: String) {
        self.symbol = symbol
        self.asOf = asOf
        self.source = source
    }
}

public struct PipelineRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func save(_ run: PipelineRunRecord) async throws {
        let model = try await PipelineRunModel.find(run.runID, on: database) ?? PipelineRunModel()
        model.id = run.runID
        model.mode = run.mode
        model.status = run.status.rawValue
        model.source = run.source
        model.parameters = run.parameters
        model.symbols = run.symbols
        model.cursor = run.cursor
        model.symbolCounts = run.symbolCounts
        model.barsFetched = run.barsFetched
        model.barsStored = run.barsStored
        model.barsRejected = run.barsRejected
        model.barsQuarantined = run.barsQuarantined
        model.issuesFound = run.issuesFound
        model.error = run.error
        model.startedBy = run.startedBy
        model.startedAt = run.startedAt
        model.updatedAt = run.updatedAt
        model.finishedAt = run.finishedAt
        try await model.save(on: database)
    }

    /// What one finished item adds to its run.
    public struct Advance: Sendable {
        public var fetched = 0, stored = 0, rejected = 0, quarantined = 0, issues = 0
        public init(fetched: Int = 0, stored: Int = 0, rejected: Int = 0, quarantined: Int = 0, issues: Int = 0) {
            (self.fetched, self.stored, self.rejected, self.quarantined, self.issues) = (fetched, stored, rejected, quarantined, issues)
        }
    }

    /// Moves a run's cursor past one item and adds its counts, in one UPDATE of those columns only (the run's symbol
    /// list is not rewritten per item); returns the run as stored, `run` updated with the stored counters.
    public func advance(_ run: PipelineRunRecord, by item: Advance, symbolCounts: String, at now: Date) async throws -> PipelineRunRecord {
        guard let row = try await (database as! any SQLDatabase).raw("""
            UPDATE pipeline_runs SET cursor = cursor + 1, bars_fetched = bars_fetched + \(bind: item.fetched),
                bars_stored = bars_stored + \(bind: item.stored), bars_rejected = bars_rejected + \(bind: item.rejected),
                bars_quarantined = bars_quarantined + \(bind: item.quarantined), issues_found = issues_found + \(bind: item.issues),
                symbol_counts = \(bind: symbolCounts), updated_at = \(bind: now)
            WHERE run_id = \(bind: run.runID)
            RETURNING cursor, bars_fetched, bars_stored, bars_rejected, bars_quarantined, issues_found
            """).first() else { throw StoreError.notFound("pipeline run \(run.runID)") }
        var updated = run
        updated.cursor = try row.decode(column: "cursor", as: Int.self)
        updated.barsFetched = try row.decode(column: "bars_fetched", as: Int.self)
        updated.barsStored = try row.decode(column: "bars_stored", as: Int.self)
        updated.barsRejected = try row.decode(column: "bars_rejected", as: Int.self)
        updated.barsQuarantined = try row.decode(column: "bars_quarantined", as: Int.self)
        updated.issuesFound = try row.decode(column: "issues_found", as: Int.self)
        updated.symbolCounts = symbolCounts
        updated.updatedAt = now
        return updated
    }

    public func find(_ runID: String) async throws -> PipelineRunRecord? {
        try await PipelineRunModel.find(runID, on: database).map(Self.record)
    }

    public func list(limit: Int) async throws -> [PipelineRunRecord] {
        try await PipelineRunModel.query(on: database).sort(\.$startedAt, .descending).limit(limit).all().map(Self.record)
    }

    /// Records issues; one already recorded for the same bar and kind is kept as it is.
    public func recordIssues(_ issues: [QualityIssueRecord]) async throws {
        let columns = ["run_id", "symbol", "interval", "ts", "kind", "severity", "action", "detail", "detected_at"]
        var start = 0
        while start < issues.count {
            let end = min(start + 300, issues.count)
            var insert = sql.insert(into: "data_quality_issues").columns(columns)
            for issue in issues[start..<end] {
                insert = insert.values([SQLBind(issue.runID), SQLBind(issue.symbol), SQLBind(issue.interval), SQLBind(issue.timestamp),
                                        SQLBind(issue.kind), SQLBind(issue.severity), SQLBind(issue.action), SQLBind(issue.detail),
                                        SQLBind(issue.detectedAt)] as [any SQLExpression])
            }
            try await insert.ignoringConflicts(with: ["symbol", "interval", "ts", "kind"]).run()
            start = end
        }
    }

    public func issues(symbol: String?, severity: String?, kind: String?, limit: Int) async throws -> [QualityIssueRecord] {
        var query = sql.select().column("*").from("data_quality_issues")
        if let symbol { query = query.where("symbol", .equal, symbol) }
        if let severity { query = query.where("severity", .equal, severity) }
        if let kind { query = query.where("kind", .equal, kind) }
        return try await query.orderBy("symbol").orderBy("ts").orderBy("kind").limit(limit).all().map { row in
            QualityIssueRecord(issueID: try row.decode(column: "issue_id", as: Int.self), runID: try row.decode(column: "run_id", as: String?.self),
                               symbol: try row.decode(column: "symbol", as: String.self), interval: try row.decode(column: "interval", as: String.self),
                               timestamp: try row.decode(column: "ts", as: Date.self), kind: try row.decode(column: "kind", as: String.self),
                               severity: try row.decode(column: "severity", as: String.self), action: try row.decode(column: "action", as: String.self),
                               detail: try row.decode(column: "detail", as: String.self), detectedAt: try row.decode(column: "detected_at", as: Date.self))
        }
    }

    /// Issue counts by kind and severity (optionally for one symbol).
    public func issueCounts(symbol: String?) async throws -> [(kind: String, severity: String, count: Int)] {
        var query = sql.select().column("kind").column("severity").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
            .from("data_quality_issues")
        if let symbol { query = query.where("symbol", .equal, symbol) }
        return try await query.groupBy("kind").groupBy("severity").orderBy("kind").all().map {
            (try $0.decode(column: "kind", as: String.self), try $0.decode(column: "severity", as: String.self), try $0.decode(column: "n", as: Int.self))
        }
    }

    /// Inserts or replaces the snapshot of (symbol, as_of).
    public func saveFundamentals(_ snapshots: [FundamentalSnapshot]) async throws {
        for snapshot in snapshots {
            let model = try await FundamentalModel.query(on: database).filter(\.$symbol == snapshot.symbol).filter(\.$asOf == snapshot.asOf).first()
                ?? FundamentalModel()
            model.symbol = snapshot.symbol
            model.asOf = snapshot.asOf
            model.name = snapshot.name
            model.sector = snapshot.sector
            model.subIndustry = snapshot.subIndustry
            model.price = snapshot.price
            model.peRatio = snapshot.peRatio
            model.dividendYield = snapshot.dividendYield
            model.eps = snapshot.eps
            model.week52Low = snapshot.week52Low
            model.week52High = snapshot.week52High
            model.marketCap = snapshot.marketCap
            model.ebitda = snapshot.ebitda
            model.priceToSales = snapshot.priceToSales
            model.priceToBook = snapshot.priceToBook
            model.source = snapshot.source
            try await model.save(on: database)
        }
    }

    /// The latest snapshot published on or before `date`; never a later one.
    public func fundamentals(symbol: String, asOf date: Date) async throws -> FundamentalSnapshot? {
        try await FundamentalModel.query(on: database).filter(\.$symbol == symbol).filter(\.$asOf <= date)
            .sort(\.$asOf, .descending).first().map(Self.snapshot)
    }

    /// Every snapshot of the given symbols published on or before `date`, oldest first (for point-in-time features).
    public func fundamentalsHistory(symbols: [String], through date: Date) async throws -> [FundamentalSnapshot] {
        guard !symbols.isEmpty else { return [] }
        return try await FundamentalModel.query(on: database).filter(\.$symbol ~~ symbols).filter(\.$asOf <= date)
            .sort(\.$symbol).sort(\.$asOf).all().map(Self.snapshot)
    }

    static func snapshot(_ model: FundamentalModel) -> FundamentalSnapshot {
        var s = FundamentalSnapshot(symbol: model.symbol, asOf: model.asOf, source: model.source)
        s.name = model.name
        s.sector = model.sector
        s.subIndustry = model.subIndustry
        s.price = model.price
        s.peRatio = model.peRatio
        s.dividendYield = model.dividendYield
        s.eps = model.eps
        s.week52Low = model.week52Low
        s.week52High = model.week52High
        s.marketCap = model.marketCap
        s.ebitda = model.ebitda
        s.priceToSales = model.priceToSales
        s.priceToBook = model.priceToBook
        return s
    }

    static func record(_ model: PipelineRunModel) throws -> PipelineRunRecord {
        guard let status = PipelineRunStatus(rawValue: model.status) else { throw StoreError.corrupt("run status '\(model.status)'") }
        var run = PipelineRunRecord(runID: model.id ?? "", mode: model.mode, source: model.source, parameters: model.parameters,
                                    symbols: model.symbols, startedBy: model.startedBy, at: model.startedAt)
        run.status = status
        run.cursor = model.cursor
        run.symbolCounts = model.symbolCounts
        run.barsFetched = model.barsFetched
        run.barsStored = model.barsStored
        run.barsRejected = model.barsRejected
        run.barsQuarantined = model.barsQuarantined
        run.issuesFound = model.issuesFound
        run.error = model.error
        run.updatedAt = model.updatedAt
        run.finishedAt = model.finishedAt
        return run
    }
}

extension Session {
    public var pipeline: PipelineRepository { PipelineRepository(database: database) }
}
