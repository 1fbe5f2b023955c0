import Foundation
import KeelCore
import KeelStore

/// Runs the market-data pipeline: fetch -> validate -> store, symbol by symbol. Each symbol commits in one
/// transaction together with the run's cursor, so a failure part-way leaves every finished symbol stored and
/// `resume` continues exactly where the run stopped, never writing a bar twice (bars are upserted on
/// symbol, interval and time). Indicators and features are computed from the stored bars when read, so
/// they are point-in-time by construction and never stale after a backfill.
public struct PipelineService: Sendable {
    public typealias Progress = @Sendable (_ done: Int, _ total: Int, _ item: String) async -> Void

    let context: ServiceContext
    /// For runs that read Schwab price history.
    let schwab: SchwabLinkService?
    /// Re-measured after new prices are stored.
    let goals: GoalService?

    public init(context: ServiceContext, schwab: SchwabLinkService? = nil, goals: GoalService? = nil) {
        self.context = context
        self.schwab = schwab
        self.goals = goals
    }

    /// Creates a run (status running) over everything the provider offers now.
    public func start(mode: PipelineMode, provider: any MarketDataProvider, parameters: PipelineParameters, by actor: String) async throws -> PipelineRunRecord {
        if mode == .backfill, parameters.from == nil || parameters.to == nil {
            throw ServiceError.invalid("from", "a backfill needs a date range: from and to")
        }
        _ = try parameters.qualityPolicy()
        if let from = parameters.from, let to = parameters.to, from > to {
            throw ServiceError.invalid("from", "from must not be after to")
        }
        let items: [ProviderItem]
        do {
            items = try await provider.items()
        } catch let error as ProviderError {
            throw ServiceError(.validation, code: "invalid_source", message: error.description, field: "path")
        }
        guard !items.isEmpty else {
            throw ServiceError(.validation, code: "nothing_to_import", message: "the source holds no OHLCV or fundamentals CSV file", field: "path")
        }
        let run = PipelineRunRecord(runID: UUID().uuidString.lowercased(), mode: mode.rawValue, source: try Self.json(provider.descriptor),
                                    parameters: try Self.json(parameters), symbols: try items.map(Self.json), startedBy: actor,
                                    at: context.clock.now())
        try await context.database.write { try await $0.pipeline.save(run) }
        return run
    }

    /// Processes a run from its cursor to the end; returns the final record (failed runs too).
    /// `checkpoint` runs before each symbol; when it throws (a job cancelled, or its worker stopping) the run
    /// stops at its committed cursor: marked failed (resumable) for a cancellation, left running for a release.
    public func execute(_ runID: String, progress: Progress? = nil, checkpoint: (@Sendable () throws -> Void)? = nil) async throws -> PipelineRunRecord {
        guard var run = try await context.database.read({ try await $0.pipeline.find(runID) }) else {
            throw ServiceError.notFound("pipeline run \(runID)", field: "run_id")
        }
        let descriptor = try Self.decode(ProviderDescriptor.self, run.source)
        let parameters = try Self.decode(PipelineParameters.self, run.parameters)
        guard let mode = PipelineMode(rawValue: run.mode) else { throw ServiceError.invalid("mode", "unknown mode \(run.mode)") }
        let provider = try descriptor.makeProvider(clock: context.clock, schwab: schwab, compute: context.compute)
        var counts = (try? Self.decode([String: ItemCounts].self, run.symbolCounts)) ?? [:]
        let items = try run.symbols.map { try Self.decode(ProviderItem.self, $0) }

        // The next item is fetched (read and parsed) while this one is validated and written: the parse and the
        // database's work overlap. Items still commit one by one, in order, with the cursor.
        var next: Task<Fetched, any Error>? = run.cursor < items.count
            ? prefetch(items[run.cursor], provider, mode: mode, parameters: parameters, runID: runID) : nil
        defer { next?.cancel() }
        while run.cursor < items.count {
            do {
                try checkpoint?()
            } catch JobInterruption.cancelled {
                _ = try await stop(run, failing: "cancelled at \(run.cursor) of \(items.count); resume to continue")
                throw JobInterruption.cancelled
            }
            let item = items[run.cursor]
            await progress?(run.cursor, items.count, item.symbol)
            do {
                let fetched = try await next!.value
                next = run.cursor + 1 < items.count
                    ? prefetch(items[run.cursor + 1], provider, mode: mode, parameters: parameters, runID: runID) : nil
                let (itemCounts, stored) = try await process(item, fetched: fetched, mode: mode, parameters: parameters, provider: provider,
                                                             runID: runID, run: run, counts: counts)
                counts[item.symbol + "@" + item.interval] = itemCounts
                run = stored
            } catch {
                let reason = (error as? ProviderError)?.description ?? String(describing: error)
                context.logger.warning("pipeline run \(runID) failed at \(item.symbol): \(reason)")
                return try await stop(run, failing: "\(item.symbol): \(reason)")
            }
        }
        await progress?(items.count, items.count, "")
        run.status = .succeeded
        run.error = nil
        run.updatedAt = context.clock.now()
        run.finishedAt = context.clock.now()
        let finished = run
        try await context.database.write { try await $0.pipeline.save(finished) }
        if let goals {
            // Goal progress is derived: a failure here leaves the run stored and is retried by the next trigger.
            do { try await goals.reevaluateAll(trigger: "prices_updated") } catch { context.logger.warning("goal progress after run \(runID): \(error)") }
        }
        return finished
    }

    /// Ends a run as failed (resumable from its cursor) and stores it.
    private func stop(_ run: PipelineRunRecord, failing reason: String) async throws -> PipelineRunRecord {
        var failed = run
        failed.status = .failed
        failed.error = reason
        failed.updatedAt = context.clock.now()
        failed.finishedAt = failed.updatedAt
        let stored = failed
        try await context.database.write { try await $0.pipeline.save(stored) }
        return stored
    }

    /// Continues a failed run from its cursor.
    public func resume(_ runID: String, progress: Progress? = nil) async throws -> PipelineRunRecord {
        guard var run = try await context.database.read({ try await $0.pipeline.find(runID) }) else {
            throw ServiceError.notFound("pipeline run \(runID)", field: "run_id")
        }
        let now = context.clock.now()
        let job = try await context.database.read { try await $0.jobs.find(idempotencyKey: "pipeline:\(runID)") }
        // A run left `running` by a process that died (a foreground CLI import, or a job whose attempts ran out)
        // is abandoned once nothing holds it: no live job, and no progress for longer than a symbol can take.
        let abandoned = run.status == .running && (job.map { $0.status.isFinished } ?? (now.timeIntervalSince(run.updatedAt) > Self.abandonedAfter))
        guard run.status == .failed || abandoned else {
            let holder = job.map { " (job \($0.jobID) is \($0.status.rawValue))" } ?? ""
            throw ServiceError.conflict("run_not_failed", "run \(runID) is \(run.status.rawValue)\(holder); only a failed or abandoned run can be resumed")
        }
        run.status = .running
        run.error = nil
        run.finishedAt = nil
        run.updatedAt = context.clock.now()
        let resumed = run
        try await context.database.write { try await $0.pipeline.save(resumed) }
        return try await execute(runID, progress: progress)
    }

    /// A running run without progress for this long, and no job holding it, was left by a dead process.
    public static let abandonedAfter: TimeInterval = 600

    public func run(_ runID: String) async throws -> PipelineRunRecord {
        guard let run = try await context.database.read({ try await $0.pipeline.find(runID) }) else {
            throw ServiceError.notFound("pipeline run \(runID)", field: "run_id")
        }
        return run
    }

    /// What a provider gave for one item.
    enum Fetched: Sendable {
        case bars(FetchedBars)
        /// Bars already validated (a full run: nothing stored decides what they become).
        case prepared(PreparedBars)
        case fundamentals(FetchedFundamentals)
    }

    /// Fetches an item ahead; in a full run also validates it there, on the compute threads.
    func prefetch(_ item: ProviderItem, _ provider: any MarketDataProvider, mode: PipelineMode, parameters: PipelineParameters,
                  runID: String) -> Task<Fetched, any Error> {
        let compute = context.compute, clock = context.clock
        return Task {
            if item.kind == .fundamentals { return .fundamentals(try await provider.fetchFundamentals(item)) }
            let bars = try await provider.fetchBars(item)
            guard mode == .full else { return .bars(bars) }
            return .prepared(try await compute.run {
                try Self.prepare(bars, item: item, mode: mode, parameters: parameters, bounds: nil, runID: runID, now: clock.now())
            })
        }
    }

    /// Validates and stores one fetched item; the bars, the issues and the run's progress commit together. Returns the
    /// item's counts and the run as stored.
    private func process(_ item: ProviderItem, fetched: Fetched, mode: PipelineMode, parameters: PipelineParameters, provider: any MarketDataProvider,
                         runID: String, run: PipelineRunRecord, counts: [String: ItemCounts]) async throws -> (ItemCounts, PipelineRunRecord) {
        let now = context.clock.now()
        var itemCounts = ItemCounts()
        let key = item.symbol + "@" + item.interval

        switch fetched {
        case .fundamentals(let fetched):
            itemCounts.fetched = fetched.rows.count
            itemCounts.stored = fetched.rows.count
            itemCounts.notes = fetched.corrections
            var allCounts = counts
            allCounts[key] = itemCounts
            let countsJSON = try Self.json(allCounts)
            let stored = try await context.database.write { session in
                try await session.pipeline.saveFundamentals(fetched.rows)
                return try await session.pipeline.advance(run, by: .init(fetched: fetched.rows.count, stored: fetched.rows.count),
                                                          symbolCounts: countsJSON, at: now)
            }
            return (itemCounts, stored)
        case .bars(let fetched):
            return try await store(fetched, item: item, mode: mode, parameters: parameters, provider: provider, runID: runID, run: run, counts: counts)
        case .prepared(let prepared):
            return try await commit(prepared, item: item, provider: provider, run: run, counts: counts)
        }
    }

    /// An item's bars validated and ready to write: which to store, their quality flags, the issues and the counts.
    struct PreparedBars: Sendable {
        var interval: String
        var selected: FetchedBars
        var quality: [String]
        var store: [Bool]
        var counts: ItemCounts
        var issues: [QualityIssueRecord]
    }

    /// Selects (by the mode's range) and validates an item's bars: pure, so a full run prepares the next item while the
    /// current one is written. `bounds`: the stored range (incremental runs and backfills only).
    static func prepare(_ fetched: FetchedBars, item: ProviderItem, mode: PipelineMode, parameters: PipelineParameters,
                        bounds: (first: StoredBar, last: StoredBar)?, runID: String, now: Date) throws -> PreparedBars {
        var itemCounts = ItemCounts()
        let interval = item.interval.isEmpty ? inferInterval(fetched.series) : item.interval
        var include = [Bool](repeating: true, count: fetched.series.count)
        for i in 0..<fetched.series.count {
            let time = fetched.series.timestamps[i]
            if let from = parameters.from, time < from { include[i] = false }
            if let to = parameters.to, time > to { include[i] = false }
            switch mode {
            case .full: break
            case .incremental: if let last = bounds?.last.timestamp, time <= last { include[i] = false }
            case .backfill: if let first = bounds?.first.timestamp, time >= first { include[i] = false }
            }
        }
        let selected = subset(fetched, include)
        let previous = mode == .incremental ? bounds.map {
            BarValidator.PreviousBar(timestamp: $0.last.timestamp, close: $0.last.close, adjustedClose: $0.last.adjustedClose)
        } : nil
        let validation = BarValidator(policy: try parameters.qualityPolicy()).validate(
            selected.series, adjustedClose: selected.adjustedClose, assetClass: AssetClass.inferred(fromSymbol: item.symbol),
            intraday: selected.intraday || interval != "1d", previous: previous)
        var quality = [String](repeating: "ok", count: selected.series.count)
        var store = [Bool](repeating: true, count: selected.series.count)
        for (i, action) in validation.actions.enumerated() {
            switch action {
            case .accept: break
            case .quarantine: quality[i] = "quarantined"
            case .reject: store[i] = false
            }
        }
        // An accepted bar that has any issue is stored flagged, so readers can tell it from a clean one.
        for issue in validation.issues {
            if let i = issue.barIndex, quality[i] == "ok" { quality[i] = "warning" }
        }
        itemCounts.fetched = fetched.series.count
        itemCounts.stored = store.filter { $0 }.count
        itemCounts.rejected = validation.actions.filter { $0 == .reject }.count
        itemCounts.quarantined = validation.actions.filter { $0 == .quarantine }.count
        itemCounts.issues = validation.issues.count
        if fetched.series.count > selected.series.count {
            itemCounts.notes.append("\(fetched.series.count - selected.series.count) bar(s) outside the \(mode.rawValue) range were skipped")
        }
        let issues = validation.issues.map { issue in
            QualityIssueRecord(issueID: 0, runID: runID, symbol: item.symbol, interval: interval, timestamp: issue.timestamp,
                               kind: issue.kind.rawValue, severity: issue.severity.rawValue,
                               action: issue.barIndex.map { validation.actions[$0].rawValue } ?? QualityAction.accept.rawValue,
                               detail: issue.detail, detectedAt: now)
        }
        return PreparedBars(interval: interval, selected: selected, quality: quality, store: store, counts: itemCounts, issues: issues)
    }

    private func store(_ fetched: FetchedBars, item: ProviderItem, mode: PipelineMode, parameters: PipelineParameters, provider: any MarketDataProvider,
                       runID: String, run: PipelineRunRecord, counts: [String: ItemCounts]) async throws -> (ItemCounts, PipelineRunRecord) {
        let interval = item.interval.isEmpty ? Self.inferInterval(fetched.series) : item.interval
        // A full run stores every bar whatever is there: the stored range matters only to incremental runs and backfills.
        let bounds = mode == .full ? nil : try await context.database.read { try await $0.marketBars.bounds(symbol: item.symbol, interval: interval) }
        let prepared = try Self.prepare(fetched, item: item, mode: mode, parameters: parameters, bounds: bounds, runID: runID, now: context.clock.now())
        return try await commit(prepared, item: item, provider: provider, run: run, counts: counts)
    }

    /// Writes a prepared item: its instrument, bars and issues and the run's progress, in one transaction.
    private func commit(_ prepared: PreparedBars, item: ProviderItem, provider: any MarketDataProvider, run: PipelineRunRecord,
                        counts: [String: ItemCounts]) async throws -> (ItemCounts, PipelineRunRecord) {
        let now = context.clock.now()
        let itemCounts = prepared.counts
        KeelMetrics.pipelineBars(stored: itemCounts.stored, rejected: itemCounts.rejected, quarantined: itemCounts.quarantined)
        var allCounts = counts
        allCounts[item.symbol + "@" + item.interval] = itemCounts
        let countsJSON = try Self.json(allCounts)
        let source = provider.descriptor.summary
        let stored = try await context.database.write { session in
            // The item's commit need not wait for its WAL flush: the bars and the run's cursor commit together, so a
            // crash that loses the last commits only moves the cursor back, and resume writes those items again
            // (upserts, never twice). One flush per item would otherwise cost more than the bars.
            try await session.relaxCommitDurability()
            try await session.referenceData.ensureInstruments([Instrument(symbol: item.symbol, assetClass: AssetClass.inferred(fromSymbol: item.symbol),
                                                                          name: item.symbol)])
            try await session.marketBars.upsert(prepared.selected.series, interval: prepared.interval, source: source,
                                                adjustedClose: prepared.selected.adjustedClose, quality: prepared.quality, include: prepared.store)
            try await session.pipeline.recordIssues(prepared.issues)
            return try await session.pipeline.advance(run, by: .init(fetched: itemCounts.fetched, stored: itemCounts.stored, rejected: itemCounts.rejected,
                                                                     quarantined: itemCounts.quarantined, issues: itemCounts.issues),
                                                      symbolCounts: countsJSON, at: now)
        }
        return (itemCounts, stored)
    }

    static func subset(_ fetched: FetchedBars, _ include: [Bool]) -> FetchedBars {
        guard include.contains(false) else { return fetched }
        var series = BarSeries(symbol: fetched.series.symbol)
        var adjusted: [Double] = []
        for i in 0..<fetched.series.count where include[i] {
            series.append(timestamp: fetched.series.timestamps[i], open: fetched.series.open[i], high: fetched.series.high[i],
                          low: fetched.series.low[i], close: fetched.series.close[i], volume: fetched.series.volume[i])
            adjusted.append(fetched.adjustedClose[i])
        }
        return FetchedBars(series: series, adjustedClose: adjusted, intraday: fetched.intraday)
    }

    /// The bar spacing that occurs most often: 1h, 1d, or minutes.
    static func inferInterval(_ series: BarSeries) -> String {
        guard series.count > 2 else { return "1d" }
        var gaps: [Int: Int] = [:]
        for i in 1..<min(series.count, 500) { gaps[Int(series.timestamps[i].timeIntervalSince(series.timestamps[i - 1])), default: 0] += 1 }
        let seconds = gaps.max { $0.value < $1.value }?.key ?? 86_400
        switch seconds {
        case 3_600: return "1h"
        case 86_400...: return "1d"
        default: return "\(max(seconds / 60, 1))m"
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> String { try StoredJSON.encode(value) }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try StoredJSON.decode(type, text) }
}
