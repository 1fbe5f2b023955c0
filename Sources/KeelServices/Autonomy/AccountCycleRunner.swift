import Foundation
import KeelCore
import KeelStore

/// Accounts' passes through the cycle: strategy selection -> predictions -> portfolio generation -> batch
/// creation -> approval -> execution -> reconciliation -> performance evaluation -> adjustment. It runs a chunk of
/// accounts (or one) step by step: each step for every account of the chunk, a few at once, its records written
/// once per chunk; the stop checks read the kill switch, the pause and the chunk's client controls once per check.
/// Every step is persisted; a resumed job skips finished steps and re-runs the interrupted one against what it
/// committed: the batch is found by its cycle id (never planned twice), an order is never sent again (the batch is
/// claimed once; an interrupted execution is finished by reconciliation), performance is one row per day.
struct AccountCycleRunner: Sendable {
    let context: ServiceContext
    let rebalancing: RebalanceService
    let execution: ExecutionService
    let reconciliation: ReconciliationService
    let faults: CycleFaults?
    let market = CycleMarketSnapshot()

    static let principal = Principal(userID: "autonomous", role: .admin, clientID: nil)
    static let awaitingApprovalAlert = ApprovalService.awaitingApprovalAlert
    static let riskBreachAlert = "risk_limit_breached"

    var settings: CycleSettings { context.settings.cycle }

    typealias ChunkAccount = (hash: String, clientID: Int, strategy: String)
    /// A set-based step's answer for each account of its chunk.
    typealias ChunkAnswers<Output: Codable & Sendable> = [String: Result<CycleStepRecorder.Outcome<Output>, any Error>]

    /// How the runner treats an account whose step failed unexpectedly (not a `ServiceError`).
    enum UnexpectedFailure: Sendable {
        /// The job fails and is retried (a per-account job).
        case failTheJob
        /// The account goes on alone in its own `cycle.account` job with the attempts left, the chunk goes on.
        case handOff(attemptsLeft: Int)
    }

    /// What the runner knows of one account as the steps go by.
    struct Progress: Sendable {
        var entry: CycleAccountRecord
        var selection: AccountCycleOutputs.Selection?
        var batch: AccountCycleOutputs.Batch?
        var approved = false
        var awaiting = false
        /// The account's outcome is settled (skipped, failed or handed off): later steps leave it out.
        var ended = false
        var handOffError: String?
    }

    /// Runs the accounts' steps; returns the final records of those this job held (none when others hold them or
    /// they are done).
    func run(cycleID: String, accountHashes: [String], jobID: String, onUnexpectedFailure: UnexpectedFailure,
             checkpoint: @escaping @Sendable () throws -> Void = {}) async throws -> [CycleAccountRecord] {
        let now = context.clock.now()
        guard let cycle = try await context.database.read({ try await $0.cycles.find(cycleID) }) else {
            throw PermanentJobFailure("cycle \(cycleID) does not exist")
        }
        guard cycle.status == .running else { return [] }
        let claimed = try await context.database.write(.outsideCachedReads) {
            try await $0.cycles.claimAccounts(cycleID, accountHashes: accountHashes, jobID: jobID, at: now)
        }
        guard !claimed.isEmpty else { return [] }
        let steps = try await CycleStepRecorder.load(context: context, cycleID: cycleID, scopes: claimed.map(\.accountHash), faults: faults,
                                                     checkpoint: checkpoint)
        var book = Dictionary(uniqueKeysWithValues: claimed.map { ($0.accountHash, Progress(entry: $0)) })
        do {
            try await process(cycle: cycle, book: &book, order: claimed.map(\.accountHash), steps: steps, onUnexpectedFailure: onUnexpectedFailure)
        } catch JobInterruption.cancelled {
            for hash in book.keys where !book[hash]!.ended {
                book[hash]!.entry.status = .skipped
                book[hash]!.entry.outcome = "the account's job was cancelled"
            }
        }
        let finishedAt = context.clock.now()
        for hash in book.keys { book[hash]!.entry.finishedAt = finishedAt }
        let handOffs: [(CycleAccountRecord, String)] = claimed.compactMap { claim in
            book[claim.accountHash].flatMap { progress in progress.handOffError.map { (progress.entry, $0) } }
        }
        let attemptsLeft: Int = if case .handOff(let left) = onUnexpectedFailure { left } else { 0 }
        return try await finish(claimed.compactMap { book[$0.accountHash] }.filter { $0.handOffError == nil }.map(\.entry),
                                handOffs: handOffs, jobID: jobID, attemptsLeft: attemptsLeft)
    }

    /// `run` for a job of the cycle (a chunk or one account): on the job's last attempt, or a failure no retry can
    /// mend, the accounts it still holds end failed (`giveUp`) before the error is rethrown.
    func run(_ job: RunningJob, cycleID: String, accountHashes: [String], onUnexpectedFailure: UnexpectedFailure) async throws -> [CycleAccountRecord] {
        do {
            return try await run(cycleID: cycleID, accountHashes: accountHashes, jobID: job.id, onUnexpectedFailure: onUnexpectedFailure,
                                 checkpoint: { try job.checkpoint() })
        } catch let error where !(error is JobInterruption) && (job.record.attempts >= job.record.maxAttempts || error is PermanentJobFailure) {
            try await giveUp(cycleID: cycleID, jobID: job.id, error: error)
            throw error
        }
    }

    /// Conflicts that mean "not now" rather than "broken": the account is skipped with the reason.
    static let waitingCodes: Set<String> = ["execution_in_progress", "account_halted", "account_unavailable", "client_inactive", "open_batch_exists",
                                                "approved_batch_waiting"]

    /// The job failed for good (its last attempt): the accounts it still holds end failed and count as done, so the
    /// cycle still ends.
    func giveUp(cycleID: String, jobID: String, error: any Error) async throws {
        let held = try await context.database.read { try await $0.cycles.unfinishedAccounts(cycleID, jobID: jobID) }
        guard !held.isEmpty else { return }
        let now = context.clock.now()
        let failed = held.map { entry -> CycleAccountRecord in
            var entry = entry
            entry.status = .failed
            entry.outcome = String("failed after every attempt: \(error)".prefix(1000))
            entry.finishedAt = now
            return entry
        }
        _ = try await finish(failed, handOffs: [], jobID: jobID, attemptsLeft: 0)
    }

    /// Runs one step for the accounts still going, each account's body on its own (a few at once); an account whose
    /// step fails ends (skipped when it must wait, failed otherwise, or handed off); returns the others' outputs.
    private func step<Output: Codable & Sendable>(_ step: CycleStep, _ book: inout [String: Progress], order: [String], steps: CycleStepRecorder,
                                                  onUnexpectedFailure: UnexpectedFailure, only include: (Progress) -> Bool = { _ in true },
                                                  inputs: (Progress) throws -> (any Encodable & Sendable)?,
                                                  _ body: @escaping @Sendable (Progress) async throws -> CycleStepRecorder.Outcome<Output>) async throws -> [String: Output] {
        let scopes = order.filter { hash in book[hash].map { !$0.ended && include($0) } ?? false }
        guard !scopes.isEmpty else { return [:] }
        let snapshot = book
        let results = try await steps.run(step, scopes: scopes, concurrency: settings.accountsAtOnceInChunk,
                                          inputs: { try Self.encodedInputs(snapshot, inputs, scope: $0) }, { scope in try await body(snapshot[scope]!) })
        return try settle(step, results, scopes: scopes, &book, onUnexpectedFailure: onUnexpectedFailure)
    }

    /// Runs one step for the accounts still going with one body for all of them (set-based reads and writes).
    private func stepTogether<Output: Codable & Sendable>(_ step: CycleStep, _ book: inout [String: Progress], order: [String], steps: CycleStepRecorder,
                                                          onUnexpectedFailure: UnexpectedFailure, only include: (Progress) -> Bool = { _ in true },
                                                          inputs: (Progress) throws -> (any Encodable & Sendable)?,
                                                          _ body: @escaping @Sendable ([Progress]) async throws -> [String: Result<CycleStepRecorder.Outcome<Output>, any Error>])
        async throws -> [String: Output] {
        let scopes = order.filter { hash in book[hash].map { !$0.ended && include($0) } ?? false }
        guard !scopes.isEmpty else { return [:] }
        let snapshot = book
        let results = try await steps.runTogether(step, scopes: scopes, inputs: { try Self.encodedInputs(snapshot, inputs, scope: $0) }) { pending in
            try await body(pending.compactMap { snapshot[$0] })
        }
        return try settle(step, results, scopes: scopes, &book, onUnexpectedFailure: onUnexpectedFailure)
    }

    private static func encodedInputs(_ book: [String: Progress], _ inputs: (Progress) throws -> (any Encodable & Sendable)?, scope: String) throws -> String? {
        guard let progress = book[scope], let value = try inputs(progress) else { return nil }
        return try StoredJSON.encode(value)
    }

    /// Applies a step's results to the book: outputs of the accounts that went on, the end of those that failed.
    private func settle<Output>(_ step: CycleStep, _ results: [String: Result<Output, any Error>], scopes: [String], _ book: inout [String: Progress],
                                onUnexpectedFailure: UnexpectedFailure) throws -> [String: Output] {
        var outputs: [String: Output] = [:]
        for scope in scopes {
            switch results[scope] {
            case .success(let output)?: outputs[scope] = output
            case .failure(let error as ServiceError)?:
                // The account's own state is at fault: it waits (an earlier batch still settling, a halt) or fails (no
                // prices, ...); the cycle goes on with the others.
                book[scope]!.entry.status = Self.waitingCodes.contains(error.code) ? .skipped : .failed
                book[scope]!.entry.outcome = String(error.message.prefix(1000))
                book[scope]!.ended = true
            case .failure(let error)?:
                guard case .handOff = onUnexpectedFailure, !(error is PermanentJobFailure) else { throw error }
                book[scope]!.handOffError = String(describing: error)
                book[scope]!.ended = true
            case nil:
                throw PermanentJobFailure("step \(step.rawValue) of \(scope) left no result")
            }
        }
        return outputs
    }

    private func process(cycle: CycleRunRecord, book: inout [String: Progress], order: [String], steps: CycleStepRecorder,
                         onUnexpectedFailure failure: UnexpectedFailure) async throws {
        let cycleID = cycle.cycleID
        try await applyStops(&book)
        let selections = try await stepTogether(.strategySelection, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                                inputs: { _ in ["regime": cycle.regime ?? "unknown"] }) { chunk in
            try await selectStrategies(cycle: cycle, chunk.map { ($0.entry.accountHash, $0.entry.clientID) })
        }
        for (hash, selection) in selections {
            book[hash]!.selection = selection
            book[hash]!.entry.strategy = selection.strategy
            book[hash]!.entry.reason = selection.reason
        }
        _ = try await stepTogether(.predictions, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                   inputs: { ["portfolio_id": $0.selection!.portfolioID] }) { chunk in
            try await predictions(cycleID: cycleID, chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.selection!.portfolioID) })
        }
        try await applyStops(&book)
        let portfolios = try await stepTogether(.portfolioGeneration, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                                inputs: { $0.selection }) { chunk in
            try await generate(cycle: cycle, chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.selection!) })
        }
        let batches = try await stepTogether(.batchCreation, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                             inputs: { ["batch_id": portfolios[$0.entry.accountHash]?.batchID ?? ""] }) { chunk in
            try await recordBatches(Dictionary(chunk.map { ($0.entry.accountHash, portfolios[$0.entry.accountHash]?.batchID) }, uniquingKeysWith: { first, _ in first }))
        }
        for (hash, batch) in batches {
            book[hash]!.batch = batch
            book[hash]!.entry.batchID = batch.batchID
            book[hash]!.entry.orders = batch.orders
        }
        let trading: (Progress) -> Bool = { $0.batch?.batchID != nil && ($0.batch?.orders ?? 0) > 0 }
        let approvals = try await stepTogether(.approval, &book, order: order, steps: steps, onUnexpectedFailure: failure, only: trading,
                                               inputs: { ["batch_id": $0.batch?.batchID ?? ""] }) { chunk in
            try await approve(chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.batch!.batchID!) })
        }
        for (hash, approval) in approvals {
            book[hash]!.approved = approval.approved
            book[hash]!.awaiting = !approval.approved
        }
        // Read once for the chunk, right before any order is sent (the execution service checks again in its transaction).
        let stops = try await stopReasons(clientIDs: order.compactMap { book[$0]?.entry.clientID })
        let executions = try await stepTogether(.execution, &book, order: order, steps: steps, onUnexpectedFailure: failure, only: { $0.approved },
                                                inputs: { ["batch_id": $0.batch?.batchID ?? "", "dry_run": cycle.dryRun ? "true" : "false"] }) { chunk in
            try await execute(chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.batch!.batchID!) }, stops: stops, dryRun: cycle.dryRun)
        }
        for (hash, executed) in executions {
            book[hash]!.entry.outcome = executed.note
            if executed.stopped {
                book[hash]!.entry.status = .skipped
                book[hash]!.ended = true
            }
        }
        _ = try await stepTogether(.reconciliation, &book, order: order, steps: steps, onUnexpectedFailure: failure, only: { $0.approved },
                                   inputs: { ["batch_id": $0.batch?.batchID ?? ""] }) { chunk in
            try await reconcile(chunk.map { ($0.entry.accountHash, $0.batch!.batchID!) })
        }
        _ = try await stepTogether(.performanceEvaluation, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                   inputs: { ["strategy": $0.selection!.strategy] }) { chunk in
            try await evaluate(cycle: cycle, chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.selection!.strategy) })
        }
        _ = try await stepTogether(.adjustment, &book, order: order, steps: steps, onUnexpectedFailure: failure,
                                   inputs: { ["strategy": $0.selection!.strategy] }) { chunk in
            try await adjust(chunk.map { ($0.entry.accountHash, $0.entry.clientID, $0.selection!.strategy) })
        }

        let live = order.filter { book[$0].map { !$0.ended } ?? false }
        let final = try await context.database.read { try await $0.batches.cycleBatchStatuses(cycleID: cycleID, accountHashes: live) }
        for hash in live {
            var progress = book[hash]!
            let batch = progress.batch
            if progress.awaiting {
                progress.entry.status = .awaitingApproval
                progress.entry.outcome = "batch \(batch?.batchID ?? "") waits for an advisor's approval"
            } else {
                progress.entry.status = .completed
                if let final = final[hash], progress.entry.outcome == nil || final.status != .approved {
                    progress.entry.outcome = progress.entry.outcome ?? "batch \(final.batchID) is \(final.status.rawValue)"
                }
                if (batch?.orders ?? 0) == 0 { progress.entry.outcome = "nothing to trade: \(batch?.note ?? "no batch was planned")" }
            }
            book[hash] = progress
        }
    }

    /// Ends the accounts that may do nothing more now (the kill switch, the global pause, their client's pause).
    private func applyStops(_ book: inout [String: Progress]) async throws {
        let live = book.values.filter { !$0.ended }
        guard !live.isEmpty else { return }
        let stops = try await stopReasons(clientIDs: live.map(\.entry.clientID))
        for progress in live {
            guard let why = stops[progress.entry.clientID] else { continue }
            book[progress.entry.accountHash]!.entry.status = .skipped
            book[progress.entry.accountHash]!.entry.outcome = why
            book[progress.entry.accountHash]!.ended = true
        }
    }

    /// Why nothing more may happen for each of these clients now, in two reads for any number of clients.
    private func stopReasons(clientIDs: [Int]) async throws -> [Int: String] {
        guard !clientIDs.isEmpty else { return [:] }
        return try await context.database.read { session in
            let stops = try await session.operations.tradingStops()
            if stops.killSwitch { return Dictionary(uniqueKeysWithValues: Set(clientIDs).map { ($0, "skipped: the kill switch is engaged") }) }
            if stops.paused { return Dictionary(uniqueKeysWithValues: Set(clientIDs).map { ($0, "skipped: trading is paused") }) }
            var reasons: [Int: String] = [:]
            for (clientID, control) in try await session.autonomy.controls(clientIDs: clientIDs) where control.paused {
                reasons[clientID] = "skipped: client \(clientID) is paused" + (control.pauseReason.map { " (\($0))" } ?? "")
            }
            return reasons
        }
    }

    // MARK: finish

    /// Stores the accounts' outcomes and counts them, hands the accounts that failed unexpectedly to their own jobs,
    /// all in one transaction; the job that finishes the last account ends the cycle.
    private func finish(_ entries: [CycleAccountRecord], handOffs: [(entry: CycleAccountRecord, error: String)], jobID: String,
                        attemptsLeft: Int) async throws -> [CycleAccountRecord] {
        guard let cycleID = (entries.first ?? handOffs.first?.entry)?.cycleID else { return [] }
        let now = context.clock.now()
        let logger = context.logger
        try await context.database.write(.outsideCachedReads) { session in
            try await session.cycles.updateAccounts(entries)
            for (entry, error) in handOffs {
                let key = "cycle:\(cycleID):\(entry.accountHash)"
                let payload = try StoredJSON.encode(AccountCycleJobHandler.Payload(cycleID: cycleID, accountHash: entry.accountHash))
                let job = try await session.jobs.enqueue(NewJob(kind: AccountCycleJobHandler.kind, payload: payload, maxAttempts: max(attemptsLeft, 1),
                                                                runAfter: now, idempotencyKey: key), id: UUID().uuidString.lowercased(), at: now)
                try await session.cycles.handOff(cycleID, accountHash: entry.accountHash, from: jobID, to: job.jobID)
                logger.warning("autonomous cycle: account \(entry.accountHash) goes on in its own job \(job.jobID) after: \(error)")
            }
            guard !entries.isEmpty else { return }
            let (done, total) = try await session.cycles.countAccountsDone(cycleID, entries.count)
            if done >= total {
                try await CycleCoordinator.complete(cycleID, session: session, at: now)
            }
        }
        return entries
    }
}
