import Foundation
import KeelCore
import KeelStore

/// The cycle-level job (`cycle.run`): data update -> regime -> dispatch of the accounts' jobs (chunks of paper
/// accounts, one job per live account). They are claimed with SKIP LOCKED by every worker process; the job that
/// finishes the last account ends the cycle.
struct CycleCoordinator: Sendable {
    let context: ServiceContext
    let pipeline: PipelineService
    let regimes: RegimeService
    let faults: CycleFaults?

    struct DataUpdate: Codable, Sendable {
        var source: String
        var barsStored: Int
        var latestBar: Date?
        var staleSymbols: [String]

        enum CodingKeys: String, CodingKey {
            case source
            case barsStored = "bars_stored", latestBar = "latest_bar", staleSymbols = "stale_symbols"
        }
    }

    struct RegimeOutput: Codable, Sendable {
        var symbol: String
        var regime: String?
        var confidence: Double?
        var date: Date?
        var note: String
    }

    struct Dispatch: Codable, Sendable {
        var accounts: Int
        var jobsQueued: Int

        enum CodingKeys: String, CodingKey { case accounts, jobsQueued = "jobs_queued" }
    }

    func run(cycleID: String, job: RunningJob) async throws -> String? {
        guard let cycle = try await context.database.read({ try await $0.cycles.find(cycleID) }) else {
            throw PermanentJobFailure("cycle \(cycleID) does not exist")
        }
        if cycle.status.isFinished { return try StoredJSON.encode(["status": cycle.status.rawValue]) }
        let now = context.clock.now()
        try await context.database.write { try await $0.cycles.start(cycleID, at: now) }
        let steps = try await CycleStepRecorder.load(context: context, cycleID: cycleID, scope: CycleStep.cycleScope, faults: faults)
        do {
            let update = try await steps.run(.dataUpdate, inputs: ["as_of": cycle.asOf]) { .completed(try await updateData(cycle)) }
            try job.checkpoint()
            let regime = try await steps.run(.regime, inputs: ["symbol": cycle.regimeSymbol]) { .completed(try await classify(cycle)) }
            try await context.database.write { try await $0.cycles.setRegime(cycleID, regime: regime.regime, confidence: regime.confidence) }
            try job.checkpoint()
            let scope = cycle.clientIDs.map { $0.map(String.init).joined(separator: ",") } ?? "all"
            let dispatched: Dispatch = try await steps.run(.fanOut, inputs: ["client_ids": scope]) {
                .completed(regime.regime == Self.staleRegime ? try await skipStale(cycle) : try await dispatch(cycle))
            }
            return try StoredJSON.encode(["bars_stored": update.barsStored, "accounts": dispatched.accounts])
        } catch let error as ServiceError {
            let message = error.message
            _ = try await context.database.write { try await $0.cycles.finish(cycleID, status: .failed, summary: nil, error: message, at: now) }
            throw PermanentJobFailure(message)
        } catch let error where !(error is JobInterruption) && job.record.attempts >= job.record.maxAttempts {
            // The last attempt: the cycle ends failed, so the day's next run is not blocked by it.
            let message = String("failed after every attempt: \(error)".prefix(2000))
            _ = try await context.database.write { try await $0.cycles.finish(cycleID, status: .failed, summary: nil, error: message, at: now) }
            throw error
        } catch JobInterruption.cancelled {
            _ = try await context.database.write { try await $0.cycles.finish(cycleID, status: .cancelled, summary: nil, error: "its job was cancelled", at: now) }
            throw JobInterruption.cancelled
        }
    }

    private func updateData(_ cycle: CycleRunRecord) async throws -> DataUpdate {
        var stored = 0
        var source = "stored bars"
        if case .simulator(let seed, let historyDays) = context.settings.cycle.dataSource {
            let symbols = try await context.database.read { session in
                Array(Set(try await session.referenceData.modelPortfolios().flatMap(\.universe))).sorted()
            }
            let provider = SimulatorMarketDataProvider(seed: seed, historyDays: historyDays, symbols: symbols, clock: context.clock)
            let started = try await pipeline.start(mode: .incremental, provider: provider, parameters: PipelineParameters(), by: "autonomous")
            let run = try await pipeline.execute(started.runID)
            stored = run.barsStored
            source = "simulated market (incremental pipeline run \(run.runID), \(run.status.rawValue))"
        }
        let maximumAge = context.settings.maximumPriceAge
        let asOf = cycle.asOf
        let barsStored = stored, description = source
        return try await context.database.read { session in
            let symbols = Array(Set(try await session.referenceData.modelPortfolios().flatMap(\.universe) + [cycle.regimeSymbol])).sorted()
            let latest = try await session.marketBars.latestPrices(symbols: symbols)
            let stale = symbols.filter { symbol in latest[symbol].map { asOf.timeIntervalSince($0.timestamp) > maximumAge } ?? true }
            return DataUpdate(source: description, barsStored: barsStored, latestBar: latest.values.map(\.timestamp).max(), staleSymbols: stale)
        }
    }

    /// The regime answered when the benchmark's last bar is older than the latest completed session.
    static let staleRegime = "stale"
    static let staleDataAlert = "stale_market_data"

    private func classify(_ cycle: CycleRunRecord) async throws -> RegimeOutput {
        // A stalled benchmark feed must not freeze the regime at its last value: the step answers `stale`, the cycle
        // skips its accounts (no plan is made on stale data) and a critical alert says why.
        let latest = try await context.database.read { try await $0.marketBars.latestPrices(symbols: [cycle.regimeSymbol]) }[cycle.regimeSymbol]
        if let reason = context.settings.priceFreshness.staleness(lastBar: latest?.timestamp, asOf: cycle.asOf,
                                                                  assetClass: .inferred(fromSymbol: cycle.regimeSymbol)), latest != nil {
            let message = "benchmark \(cycle.regimeSymbol): \(reason); the cycle \(cycle.cycleID) skips its accounts until the data is current"
            let now = context.clock.now()
            _ = try await context.database.write { session in
                try await AlertOutbox.raise(NewAlert(kind: Self.staleDataAlert, severity: "critical", message: message), session: session,
                                            settings: context.settings, at: now)
            }
            context.logger.error("\(message)")
            return RegimeOutput(symbol: cycle.regimeSymbol, regime: Self.staleRegime, confidence: nil, date: latest?.timestamp, note: message)
        }
        guard let day = try await regimes.storeDaily(symbol: cycle.regimeSymbol, asOf: cycle.asOf) else {
            return RegimeOutput(symbol: cycle.regimeSymbol, regime: nil, confidence: nil, date: nil,
                                note: "no stored bars of \(cycle.regimeSymbol): strategies fall back to the goals' or the model portfolios'")
        }
        return RegimeOutput(symbol: cycle.regimeSymbol, regime: day.regime.rawValue, confidence: day.confidence.isFinite ? day.confidence : 0,
                            date: day.date, note: "indicated \(day.indicated.rawValue) on the day; hysteresis keeps \(day.regime.rawValue)")
    }

    /// A stale benchmark: no account is planned; the cycle ends at once with none dispatched.
    private func skipStale(_ cycle: CycleRunRecord) async throws -> Dispatch {
        let now = context.clock.now()
        try await context.database.write { session in
            try await session.cycles.setAccountsTotal(cycle.cycleID, 0)
            try await Self.complete(cycle.cycleID, session: session, at: now)
        }
        return Dispatch(accounts: 0, jobsQueued: 0)
    }

    /// Lists the accounts and queues their jobs in one transaction: paper accounts in chunks (`cycle.chunk`), live
    /// accounts one job each (`cycle.account`: their orders go to a broker one by one). A resumed dispatch adds only
    /// what is missing; a chunk is keyed by its first account and size, and an account a second chunk lists is taken
    /// by whichever claims it first.
    private func dispatch(_ cycle: CycleRunRecord) async throws -> Dispatch {
        let now = context.clock.now()
        let cycleID = cycle.cycleID
        let chunkSize = min(max(context.settings.cycle.chunkSize, 1), CycleChunkJobHandler.maximumAccounts)
        let result = try await context.database.write { session -> Dispatch in
            let accounts = try await session.accounts.cycleAccounts(clientIDs: cycle.clientIDs)
            try await session.cycles.addAccounts(cycleID, accounts.map { ($0.accountHash, $0.clientID) })
            try await session.cycles.setAccountsTotal(cycleID, accounts.count)
            var jobs: [(job: NewJob, id: String)] = []
            let paper = accounts.filter { $0.brokerageCode == "paper" }.map(\.accountHash)
            for start in stride(from: 0, to: paper.count, by: chunkSize) {
                let chunk = Array(paper[start..<min(start + chunkSize, paper.count)])
                let payload = try StoredJSON.encode(CycleChunkJobHandler.Payload(cycleID: cycleID, accountHashes: chunk))
                jobs.append((NewJob(kind: CycleChunkJobHandler.kind, payload: payload, maxAttempts: CycleChunkJobHandler.attempts, runAfter: now,
                                    idempotencyKey: "cycle:\(cycleID):chunk:\(chunk[0]):\(chunk.count)"), UUID().uuidString.lowercased()))
            }
            for account in accounts where account.brokerageCode != "paper" {
                let payload = try StoredJSON.encode(AccountCycleJobHandler.Payload(cycleID: cycleID, accountHash: account.accountHash))
                jobs.append((NewJob(kind: AccountCycleJobHandler.kind, payload: payload, maxAttempts: AccountCycleJobHandler.attempts, runAfter: now,
                                    idempotencyKey: "cycle:\(cycleID):\(account.accountHash)"), UUID().uuidString.lowercased()))
            }
            let queued = try await session.jobs.enqueue(jobs, at: now)
            if accounts.isEmpty { try await Self.complete(cycleID, session: session, at: now) }
            return Dispatch(accounts: accounts.count, jobsQueued: queued)
        }
        return result
    }

    /// Ends the cycle with a summary of its accounts' outcomes (called by the last account, in its transaction).
    static func complete(_ cycleID: String, session: Session, at now: Date) async throws {
        let counts = try await session.cycles.accountCounts(cycleID)
        let failed = counts[CycleAccountStatus.failed.rawValue, default: 0]
        let summary = try StoredJSON.encode(counts)
        try await session.cycles.endSteps(cycleID, step: CycleStep.finish.rawValue, sequence: CycleStep.finish.sequence,
                                          [CycleStepEnd(scope: CycleStep.cycleScope, status: .completed, outputs: summary, error: nil, startedAt: now,
                                                        durationMilliseconds: 0)], at: now)
        try await session.cycles.finish(cycleID, status: .completed, summary: summary,
                                        error: failed > 0 ? "\(failed) account(s) failed; see their outcomes" : nil, at: now)
        try await session.audit("cycle.complete", actor: "autonomous", entityType: "cycle", entityID: cycleID, clientID: nil, at: now,
                                details: counts.mapValues(String.init))
    }
}
