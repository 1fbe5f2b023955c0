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
        let executions = try await step(.execution, &book, order: order, steps: steps, onUnexpectedFailure: failure, only: { $0.approved },
                                        inputs: { ["batch_id": $0.batch?.batchID ?? "", "dry_run": cycle.dryRun ? "true" : "false"] }) { progress in
            try await execute(batchID: progress.batch!.batchID!, stop: stops[progress.entry.clientID], dryRun: cycle.dryRun)
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

    // MARK: strategy selection

    /// Chooses each account's strategy for a chunk at once: the accounts locked and read, then clients, preferences,
    /// portfolios, controls, states, goals, performance, positions, prices, flows and high-water marks in one query each;
    /// the decisions are the pure selector's; the states are written in one statement (audits and alerts only where a
    /// switch, a breach or a recovery happened).
    private func selectStrategies(cycle: CycleRunRecord, _ accounts: [(hash: String, clientID: Int)]) async throws -> ChunkAnswers<AccountCycleOutputs.Selection> {
        let now = context.clock.now()
        let settings = self.settings
        let performanceWindow = settings.performanceWindow
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            let books = try await session.accounts.lock(hashes: hashes, in: session)
            let clients = try await session.clients.find(ids: accounts.map(\.clientID))
            let allPreferences = try await session.preferences.find(clientIDs: accounts.map(\.clientID))
            let portfolios = Dictionary(try await session.referenceData.modelPortfolios().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let controls = try await session.autonomy.controls(clientIDs: accounts.map(\.clientID))
            let states = try await session.autonomy.states(accountHashes: hashes)
            let goals = try await session.goals.goals(touchingAny: accounts.map { ($0.hash, $0.clientID, clients[$0.clientID]?.tradingUserID) },
                                                      statuses: [.active, .atRisk, .achieved, .failed])
            let modelDeployed = try await session.models.deployed(family: .ml) != nil
            // Risk limits on the daily values so far plus each account's value now.
            let histories = try await session.performance.histories(accountHashes: hashes, limit: max(performanceWindow * 3, 60))
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let latest = try await session.marketBars.latestPrices(symbols: Array(Set(positions.values.joined().map(\.symbol))).sorted())
            let prices = latest.mapValues { Decimal(exactly: $0.close) }
            // Judged on the time-weighted NAV: flows booked since the last row are neither gains nor losses.
            let flows = try await session.cashFlows.netFlows(after: Dictionary(hashes.map { ($0, histories[$0]?.last?.recordedAt) },
                                                                               uniquingKeysWith: { first, _ in first }), through: now)
            // The high-water mark since each limit was set, from every recorded day (not the window above): one query per
            // distinct day the limits were set on.
            var limited: [String?: [String]] = [:]
            for account in accounts {
                guard let preferences = allPreferences[account.clientID], preferences.maxDrawdownLimit != nil else { continue }
                limited[Self.limitDay(preferences), default: []].append(account.hash)
            }
            var peaks: [String?: [String: Double]] = [:]
            for (day, group) in limited { peaks[day] = try await session.performance.peakUnitValues(accountHashes: group, since: day) }

            var answers: ChunkAnswers<AccountCycleOutputs.Selection> = [:]
            var saved: [AccountAutonomyRecord] = []
            for (accountHash, clientID) in accounts {
                guard let account = books[accountHash], let client = clients[clientID], let preferences = allPreferences[clientID],
                      let portfolio = portfolios[preferences.portfolioID] else {
                    answers[accountHash] = .failure(ServiceError.notFound("account \(accountHash), its client or preferences"))
                    continue
                }
                let control = controls[clientID]
                let previous = states[accountHash]
                let steering = GoalSteering.forAccount(account, userID: client.tradingUserID, among: goals, now: now)
                let history = histories[accountHash] ?? []
                let snapshot = PortfolioSnapshot(cash: account.cash, holdings: (positions[accountHash] ?? []).map(\.holding), prices: prices)
                let valueNow = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
                let navNow = TimeWeightedNAV.next(previousNAV: history.last?.unitValue, previousValue: history.last?.portfolioValue, value: valueNow,
                                                  netFlow: NSDecimalNumber(decimal: flows[accountHash] ?? 0).doubleValue)
                let monitor = AccountRiskMonitor(maxDrawdown: preferences.maxDrawdownLimit, maxVolatility: preferences.maxVolatilityLimit)
                let wasDerisked = previous?.deriskedAt != nil
                // The high-water mark since the limit was set, from every recorded day (not the window above).
                let limitDay = Self.limitDay(preferences)
                // No row since the limit was set: today's NAV is the mark.
                let peak = preferences.maxDrawdownLimit == nil ? nil : peaks[limitDay]?[accountHash] ?? navNow
                let risk = monitor.assess(values: history.suffix(monitor.volatilityWindow + 1).map(\.unitValue) + [navNow], highWaterMark: peak,
                                          currentlyDerisked: wasDerisked)
                let derisked = risk.breached || (wasDerisked && !risk.recovered)

                let demoted = previous.flatMap { state -> StrategyKind? in
                    guard let until = state.demotedUntil, until > now else { return nil }
                    return state.demotedStrategy.flatMap(StrategyKind.init(rawValue:))
                }
                let override = control?.activeOverride(at: now).flatMap(StrategyKind.init(rawValue:))
                let inputs = StrategySelector.Inputs(
                    regime: cycle.regime.flatMap(MarketRegime.init(rawValue:)), regimeConfidence: cycle.regimeConfidence ?? 0,
                    goalStrategy: steering?.strategy, goalFactor: steering?.factor ?? 1, goalReason: steering?.strategyReason,
                    portfolioStrategy: portfolio.strategy, modelDeployed: modelDeployed, override: override, overrideReason: control?.overrideReason,
                    derisked: derisked, deriskAction: preferences.deriskAction == .cash ? .cash : .defensive,
                    deriskReason: risk.breached ? risk.reason : previous?.deriskReason, current: previous.flatMap { StrategyKind(rawValue: $0.strategy) },
                    currentSince: previous?.selectedAt, demoted: demoted, now: now)
                let decision = StrategySelector(settings: settings.selector).select(inputs)
                let portfolioID = decision.defensivePortfolio ? ModelPortfolioDefinition.defensiveID : preferences.portfolioID

                var state = previous ?? AccountAutonomyRecord(accountHash: accountHash, clientID: clientID, strategy: decision.strategy.rawValue,
                                                              portfolioID: portfolioID, reason: decision.reason, regime: cycle.regime, selectedAt: now,
                                                              switches: 0, deriskedAt: nil, deriskReason: nil, demotedStrategy: nil, demotedUntil: nil, updatedAt: now)
                if previous != nil, decision.switched {
                    state.switches += 1
                    state.selectedAt = now
                    try await session.audit("autonomy.strategy_switch", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now,
                                            details: ["from": previous?.strategy ?? "", "to": decision.strategy.rawValue, "rule": decision.rule,
                                                      "reason": String(decision.reason.prefix(500)), "cycle_id": cycle.cycleID])
                }
                state.strategy = decision.strategy.rawValue
                state.portfolioID = portfolioID
                state.reason = decision.reason
                state.regime = cycle.regime
                state.updatedAt = now
                if risk.breached, !wasDerisked {
                    state.deriskedAt = now
                    state.deriskReason = risk.reason
                    try await session.audit("autonomy.derisk", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now, details: ["reason": risk.reason, "action": preferences.deriskAction.rawValue])
                    try await AlertOutbox.raise(NewAlert(kind: Self.riskBreachAlert, severity: "warning", clientID: clientID, accountHash: accountHash,
                                                         message: "account \(accountHash): \(risk.reason); de-risked (\(preferences.deriskAction.rawValue)) until it recovers"),
                                                session: session, settings: self.context.settings, at: now)
                } else if wasDerisked, risk.recovered {
                    state.deriskedAt = nil
                    state.deriskReason = nil
                    try await session.audit("autonomy.recover", actor: Self.principal.userID, entityType: "account", entityID: accountHash,
                                            clientID: clientID, at: now, details: ["reason": risk.reason])
                    try await session.alerts.resolve(kinds: [Self.riskBreachAlert], clientID: clientID, accountHash: accountHash, at: now)
                }
                saved.append(state)
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Selection(
                    strategy: decision.strategy.rawValue, portfolioID: portfolioID, riskFactor: decision.riskFactor, rule: decision.rule,
                    reason: decision.reason, switched: decision.switched, forced: decision.forced, regime: cycle.regime, risk: risk, derisked: derisked)))
            }
            try await session.autonomy.save(saved)
            return answers
        }
    }

    /// The civil day a drawdown limit was set (its high-water mark counts from then).
    static func limitDay(_ preferences: PreferencesRecord) -> String? {
        preferences.drawdownLimitSetAt.map { CivilDay($0).description }
    }

    // MARK: predictions and portfolio

    /// The cycle's shared bars for a universe.
    func histories(cycleID: String) -> @Sendable ([String], Date, Session) async throws -> [BarSeries] {
        let market = self.market
        return { symbols, since, session in
            try await market.histories(cycleID: cycleID, symbols: symbols, since: since) {
                try await session.marketBars.history(symbols: symbols, since: since)
            }
        }
    }

    /// The cycle's memo of forecasts, shared by the predictions and the planning of every account.
    func forecasts(cycleID: String) -> ForecastMemo {
        let market = self.market
        return { modelID, symbols, compute in market.forecast(cycleID: cycleID, modelID: modelID, symbols: symbols, compute: compute) }
    }

    /// The chunk's predictions, each distinct universe predicted once, all stored in one statement.
    private func predictions(cycleID: String, _ accounts: [(hash: String, clientID: Int, portfolioID: Int)]) async throws -> ChunkAnswers<AccountCycleOutputs.Forecast> {
        let answers = try await rebalancing.predictions.predict(accounts.map { PredictionService.Request(key: $0.hash, clientID: $0.clientID, portfolioID: $0.portfolioID) },
                                                                histories: histories(cycleID: cycleID), forecasts: forecasts(cycleID: cycleID))
        return answers.mapValues { answer in
            answer.map { forecasts in
                let top = forecasts.sorted { $0.expectedReturn > $1.expectedReturn }.prefix(5)
                return .completed(AccountCycleOutputs.Forecast(model: forecasts.first?.modelVersion ?? "none", symbols: forecasts.count,
                                                               top: Dictionary(top.map { ($0.symbol, $0.expectedReturn.isFinite ? $0.expectedReturn : 0) },
                                                                               uniquingKeysWith: { first, _ in first })))
            }
        }
    }

    /// Plans the chunk's batches (target weights and orders) in one transaction, except those the cycle already
    /// planned (a resumed step finds them by the cycle's id).
    private func generate(cycle: CycleRunRecord, _ accounts: [(hash: String, clientID: Int, selection: AccountCycleOutputs.Selection)])
        async throws -> ChunkAnswers<AccountCycleOutputs.Portfolio> {
        let cycleID = cycle.cycleID
        let planned = try await context.database.read { try await $0.batches.cycleBatchStatuses(cycleID: cycleID, accountHashes: accounts.map(\.hash)) }
        var answers: ChunkAnswers<AccountCycleOutputs.Portfolio> = [:]
        var requests: [RebalanceRequest] = []
        for account in accounts {
            if let existing = planned[account.hash] {
                let batch = try await context.database.read { try await $0.batches.find(existing.batchID) }
                answers[account.hash] = .success(.completed(AccountCycleOutputs.Portfolio(
                    batchID: existing.batchID, targetWeights: batch.flatMap { PlanNotes.decode($0.planNotes)?.targetWeights } ?? [:],
                    note: "planned before this run resumed")))
                continue
            }
            var request = RebalanceRequest(clientID: account.clientID, accountHash: account.hash, portfolioID: account.selection.portfolioID, useGoals: true)
            request.strategy = StrategyKind(rawValue: account.selection.strategy)
            request.riskFactor = account.selection.riskFactor
            request.cycleID = cycleID
            request.decisionReason = account.selection.reason
            request.histories = histories(cycleID: cycleID)
            request.forecasts = forecasts(cycleID: cycleID)
            requests.append(request)
        }
        guard !requests.isEmpty else { return answers }
        for (accountHash, result) in try await rebalancing.rebalance(requests, by: Self.principal) {
            answers[accountHash] = result.map { batch in
                .completed(AccountCycleOutputs.Portfolio(batchID: batch.batchID, targetWeights: PlanNotes.decode(batch.planNotes)?.targetWeights ?? [:],
                                                         note: batch.cycleID == cycleID ? "planned" : "an identical batch was already waiting"))
            }
        }
        return answers
    }

    /// Checks the chunk's planned batches (one query) and closes those with nothing to trade at once (one statement).
    private func recordBatches(_ planned: [String: String?]) async throws -> ChunkAnswers<AccountCycleOutputs.Batch> {
        let batchIDs = planned.values.compactMap { $0 }
        let summaries = try await context.database.read { try await $0.batches.summaries(batchIDs) }
        let empty = batchIDs.filter { summaries[$0]?.orders == 0 }
        let now = context.clock.now()
        if !empty.isEmpty {
            // One statement: no transaction around it. A batch an advisor already handled keeps its state.
            _ = try await context.database.writeStatement { session in
                try await session.batches.transition(empty, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                    "rejected_by": "autonomous", "rejected_at": now, "rejection_reason": "nothing to trade: holdings are within the drift threshold",
                ])
            }
        }
        var answers: ChunkAnswers<AccountCycleOutputs.Batch> = [:]
        for (accountHash, batchID) in planned {
            guard let batchID, let summary = summaries[batchID] else {
                answers[accountHash] = .success(.skipped(AccountCycleOutputs.Batch(batchID: nil, status: nil, orders: 0, note: "no batch was planned")))
                continue
            }
            answers[accountHash] = .success(.completed(summary.orders == 0
                ? AccountCycleOutputs.Batch(batchID: batchID, status: BatchStatus.rejected.rawValue, orders: 0, note: "holdings are within the drift threshold")
                : AccountCycleOutputs.Batch(batchID: batchID, status: summary.status.rawValue, orders: summary.orders,
                                            note: "\(summary.orders) order(s), \(summary.status.rawValue)")))
        }
        return answers
    }

    // MARK: approval and execution

    /// The chunk's batches with orders: approved ones go on; one that waits for an advisor raises its alert. One read
    /// of the batches for the chunk, in one transaction with the alerts.
    private func approve(_ accounts: [(hash: String, clientID: Int, batchID: String)]) async throws -> ChunkAnswers<AccountCycleOutputs.Approval> {
        let now = context.clock.now()
        let settings = context.settings
        return try await context.database.write { session in
            let summaries = try await session.batches.summaries(accounts.map(\.batchID))
            var answers: ChunkAnswers<AccountCycleOutputs.Approval> = [:]
            for (accountHash, clientID, batchID) in accounts {
                guard let batch = summaries[batchID] else {
                    answers[accountHash] = .failure(ServiceError.notFound("batch \(batchID)"))
                    continue
                }
                switch batch.status {
                case .pendingApproval:
                    try await AlertOutbox.raise(NewAlert(kind: Self.awaitingApprovalAlert, severity: "info", clientID: clientID, accountHash: accountHash,
                                                         message: "batch \(batchID) (\(batch.orders) orders) waits for approval"),
                                                session: session, settings: settings, at: now)
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Approval(approved: false, by: nil,
                                                                                          note: "the client's preferences require approval: alert raised")))
                case .approved, .executing, .executed, .partiallyExecuted, .needsReconciliation, .failed:
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Approval(approved: true, by: batch.approvedBy,
                                                                                          note: "approved automatically (the client's preferences allow it)")))
                default:
                    answers[accountHash] = .success(.skipped(AccountCycleOutputs.Approval(approved: false, by: nil, note: "batch is \(batch.status.rawValue)")))
                }
            }
            return answers
        }
    }

    /// `stop`: why the client may not trade now, as read for the chunk just before the step.
    private func execute(batchID: String, stop: String?, dryRun: Bool) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Execution> {
        guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else { throw ServiceError.notFound("batch \(batchID)") }
        func summary(_ batch: BatchRecord, _ note: String) -> AccountCycleOutputs.Execution {
            AccountCycleOutputs.Execution(mode: batch.executionMode?.rawValue, batchStatus: batch.status.rawValue,
                                          ordersSent: batch.orders.filter { $0.status != .planned && $0.status != .cancelled }.count,
                                          ordersFilled: batch.orders.filter { $0.status == .filled }.count, note: note)
        }
        switch batch.status {
        case .approved:
            if let why = stop {
                var stopped = summary(batch, why)
                stopped.stopped = true
                return .skipped(stopped)
            }
            do {
                let report = try await execution.execute(batchID: batchID, dryRun: dryRun, by: Self.principal)
                let after = try await context.database.read { try await $0.batches.find(batchID) } ?? batch
                if report.dryRun {
                    return .completed(AccountCycleOutputs.Execution(mode: "dry_run", batchStatus: after.status.rawValue, ordersSent: 0,
                                                                    ordersFilled: report.trades.count, note: "dry run: \(report.trades.count) order(s) simulated, none sent"))
                }
                return .completed(summary(after, "executed: batch is \(after.status.rawValue)"))
            } catch let error as ServiceError where ["kill_switch_engaged", "trading_paused", "dry_run_only"].contains(error.code) {
                if error.code == "dry_run_only" {
                    let report = try await execution.execute(batchID: batchID, dryRun: true, by: Self.principal)
                    return .completed(AccountCycleOutputs.Execution(mode: "dry_run", batchStatus: batch.status.rawValue, ordersSent: 0,
                                                                    ordersFilled: report.trades.count, note: "the client trades in dry_run mode: simulated only"))
                }
                var stopped = summary(batch, "not sent: \(error.message)")
                stopped.stopped = true
                return .skipped(stopped)
            }
        case .executing, .needsReconciliation:
            // The process stopped while this batch was executing: nothing is sent again; reconciliation settles it.
            return .completed(summary(batch, "resumed: the batch was already executing; no order is sent again"))
        default:
            return .completed(summary(batch, "batch is \(batch.status.rawValue)"))
        }
    }

    /// Settles what the chunk's executions left in flight: one read of the batches for the chunk; reconciliation with
    /// the broker only for the accounts that need it.
    private func reconcile(_ accounts: [(hash: String, batchID: String)]) async throws -> ChunkAnswers<AccountCycleOutputs.Reconciliation> {
        let summaries = try await context.database.read { try await $0.batches.summaries(accounts.map(\.batchID)) }
        var answers: ChunkAnswers<AccountCycleOutputs.Reconciliation> = [:]
        for (accountHash, batchID) in accounts {
            guard let batch = summaries[batchID] else {
                answers[accountHash] = .failure(ServiceError.notFound("batch \(batchID)"))
                continue
            }
            guard batch.status == .executing || batch.status == .needsReconciliation || batch.ordersInFlight > 0 else {
                answers[accountHash] = .success(.skipped(AccountCycleOutputs.Reconciliation(ordersResolved: 0, ordersStillUnknown: 0, mismatches: 0,
                                                                                          note: "nothing in flight: batch is \(batch.status.rawValue)")))
                continue
            }
            do {
                let report = try await reconciliation.reconcile(inFlightGrace: 0, accountHash: accountHash)
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Reconciliation(
                    ordersResolved: report.ordersResolved, ordersStillUnknown: report.ordersStillUnknown, mismatches: report.mismatches.count,
                    note: "reconciled with the broker")))
            } catch let error as ServiceError {
                answers[accountHash] = .failure(error)
            }
        }
        return answers
    }

    // MARK: monitoring and adjustment

    /// Today's value and return against the benchmark, one row per account and day, for a chunk at once: its accounts
    /// locked and read, then positions, prices, previous rows, flows, windows and peaks in one query each, and the
    /// day's rows in one statement.
    private func evaluate(cycle: CycleRunRecord, _ accounts: [ChunkAccount]) async throws -> ChunkAnswers<AccountCycleOutputs.Performance> {
        let now = context.clock.now()
        let benchmark = cycle.regimeSymbol
        let windowDays = settings.performanceWindow, demotionThreshold = settings.demotionTStatistic, minimumDays = settings.minimumJudgedDays
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            // Locked: a deposit or withdrawal (which locks its account too) lands wholly before or after the values and flows read here.
            let books = try await session.accounts.lock(hashes: hashes, in: session)
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let symbols = Array(Set(positions.values.joined().map(\.symbol)).union([benchmark])).sorted()
            let latest = try await session.marketBars.latestPrices(symbols: symbols)
            let prices = latest.mapValues { Decimal(exactly: $0.close) }
            let close = latest[benchmark]?.close
            let previous = try await session.performance.histories(accountHashes: hashes, before: cycle.cycleDate, limit: 1).compactMapValues(\.last)
            let flows = try await session.cashFlows.netFlows(after: Dictionary(hashes.map { ($0, previous[$0]?.recordedAt) }, uniquingKeysWith: { first, _ in first }),
                                                             through: now)
            var answers: ChunkAnswers<AccountCycleOutputs.Performance> = [:]
            var rows: [AccountPerformanceRecord] = []
            for account in accounts {
                guard let book = books[account.hash] else {
                    answers[account.hash] = .failure(ServiceError.notFound("account \(account.hash)"))
                    continue
                }
                let snapshot = PortfolioSnapshot(cash: book.cash, holdings: (positions[account.hash] ?? []).map(\.holding), prices: prices)
                let value = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
                let before = previous[account.hash]
                let flow = NSDecimalNumber(decimal: flows[account.hash] ?? 0).doubleValue
                let daily = before.flatMap { TimeWeightedNAV.periodReturn(previousValue: $0.portfolioValue, value: value, netFlow: flow) }
                let nav = TimeWeightedNAV.next(previousNAV: before?.unitValue, previousValue: before?.portfolioValue, value: value, netFlow: flow)
                let benchmarkDaily: Double? = if let close, let last = before?.benchmarkClose, last > 0 { close / last - 1 } else { nil }
                rows.append(AccountPerformanceRecord(
                    accountHash: account.hash, clientID: account.clientID, day: cycle.cycleDate, strategy: account.strategy, portfolioValue: value,
                    dailyReturn: daily, benchmarkClose: close, benchmarkReturn: benchmarkDaily, cycleID: cycle.cycleID, recordedAt: now,
                    netFlow: flow, unitValue: nav))
            }
            try await session.performance.record(rows)
            // What the cycle judges the running strategy on, as of today: its window against the benchmark and the
            // account's drawdown from its high-water mark.
            let windows = try await session.performance.histories(accountHashes: rows.map(\.accountHash), limit: windowDays)
            let peaks = try await session.performance.peakUnitValues(accountHashes: rows.map(\.accountHash), since: nil)
            for row in rows {
                let window = Self.runningWindow(windows[row.accountHash] ?? [], strategy: row.strategy)
                let nav = row.unitValue
                let peak = peaks[row.accountHash] ?? nav
                answers[row.accountHash] = .success(.completed(AccountCycleOutputs.Performance(
                    day: cycle.cycleDate, portfolioValue: row.portfolioValue, dailyReturn: row.dailyReturn, benchmarkReturn: row.benchmarkReturn,
                    netFlow: row.netFlow, unitValue: row.unitValue, window: window, drawdownFromHighWaterMark: peak > 0 ? nav / peak - 1 : 0,
                    demotionTStatistic: demotionThreshold.isFinite ? demotionThreshold : nil, minimumJudgedDays: minimumDays)))
            }
            return answers
        }
    }

    /// The record of a strategy: the trailing days it has been running (with a return).
    static func runningWindow(_ rows: [AccountPerformanceRecord], strategy: String) -> LivePerformance? {
        let running = Array(rows.reversed().prefix { $0.strategy == strategy }.reversed()).filter { $0.dailyReturn != nil }
        return running.isEmpty ? nil : LivePerformance(returns: running.compactMap(\.dailyReturn), benchmark: running.map(\.benchmarkReturn))
    }

    /// Judges each account's running strategy on its live record; one trailing its benchmark by more than the margin is
    /// demoted. The chunk's windows and states are read in one query each.
    private func adjust(_ accounts: [ChunkAccount]) async throws -> ChunkAnswers<AccountCycleOutputs.Adjustment> {
        let now = context.clock.now()
        let settings = self.settings
        let logger = context.logger
        return try await context.database.write(.outsideCachedReads) { session in
            let hashes = accounts.map(\.hash)
            let windows = try await session.performance.histories(accountHashes: hashes, limit: settings.performanceWindow)
            let states = try await session.autonomy.states(accountHashes: hashes)
            let threshold = settings.demotionTStatistic
            let shownThreshold = threshold.isFinite ? threshold : nil
            var answers: ChunkAnswers<AccountCycleOutputs.Adjustment> = [:]
            for (accountHash, clientID, strategy) in accounts {
                let window = Self.runningWindow(windows[accountHash] ?? [], strategy: strategy)
                guard let window, window.days >= settings.minimumJudgedDays, let excess = window.excessReturn, let t = window.excessTStatistic else {
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(
                        strategy: strategy, window: window, demoted: false,
                        note: "\(window?.days ?? 0) of \(settings.minimumJudgedDays) days of record: not judged yet",
                        excessTStatistic: window?.excessTStatistic, threshold: shownThreshold)))
                    continue
                }
                guard t <= threshold, var state = states[accountHash],
                      state.demotedStrategy != strategy || (state.demotedUntil ?? .distantPast) <= now else {
                    answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(
                        strategy: strategy, window: window, demoted: false,
                        note: String(format: "excess return %.2f%% over %d days, t %.2f (demoted at %.2f or below): kept",
                                     excess * 100, window.days, t, threshold),
                        excessTStatistic: t, threshold: shownThreshold)))
                    continue
                }
                state.demotedStrategy = strategy
                state.demotedUntil = now.addingTimeInterval(settings.demotionDays * 86_400)
                state.updatedAt = now
                try await session.autonomy.save(state)
                let note = String(format: "%@ returned %.2f%% against the benchmark's %.2f%% over %d days: excess t %.2f at or below %.2f (information ratio %.2f): demoted; the next cycle switches",
                                  strategy, window.totalReturn * 100, (window.benchmarkReturn ?? 0) * 100, window.days, t, threshold, window.informationRatio ?? 0)
                try await session.audit("autonomy.demote", actor: Self.principal.userID, entityType: "account", entityID: accountHash, clientID: clientID,
                                        at: now, details: ["strategy": strategy, "excess_return": String(excess), "days": String(window.days),
                                                           "total_return": String(window.totalReturn), "benchmark_return": String(window.benchmarkReturn ?? 0),
                                                           "excess_t_statistic": String(t), "threshold": String(threshold)])
                logger.info("autonomous cycle: \(note)", metadata: ["account_hash": .string(accountHash)])
                answers[accountHash] = .success(.completed(AccountCycleOutputs.Adjustment(strategy: strategy, window: window, demoted: true, note: note,
                                                                                        excessTStatistic: t, threshold: shownThreshold)))
            }
            return answers
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
