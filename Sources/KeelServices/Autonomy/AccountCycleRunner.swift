import Foundation
import KeelCore
import KeelStore

/// One account's pass through the cycle: strategy selection -> predictions -> portfolio generation -> batch
/// creation -> approval -> execution -> reconciliation -> performance evaluation -> adjustment. Every step is
/// persisted; a resumed job skips finished steps and re-runs the interrupted one against what it committed:
/// the batch is found by its cycle id (never planned twice), an order is never sent again (the batch is
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

    /// Runs the account's steps; returns the account's final record (nil when another job holds it or it is done).
    func run(cycleID: String, accountHash: String, jobID: String, checkpoint: @escaping @Sendable () throws -> Void = {}) async throws -> CycleAccountRecord? {
        let now = context.clock.now()
        guard let cycle = try await context.database.read({ try await $0.cycles.find(cycleID) }) else {
            throw PermanentJobFailure("cycle \(cycleID) does not exist")
        }
        guard cycle.status == .running else { return nil }
        guard var entry = try await context.database.write(.outsideCachedReads, { try await $0.cycles.claimAccount(cycleID, accountHash: accountHash, jobID: jobID, at: now) }) else {
            return nil
        }
        let steps = try await CycleStepRecorder.load(context: context, cycleID: cycleID, scope: accountHash, faults: faults, checkpoint: checkpoint)
        do {
            try await process(cycle: cycle, entry: &entry, steps: steps)
        } catch let error as ServiceError {
            // The account's own state is at fault: it waits (an earlier batch still settling, a halt) or fails (no
            // prices, ...); the cycle goes on with the others.
            entry.status = Self.waitingCodes.contains(error.code) ? .skipped : .failed
            entry.outcome = String(error.message.prefix(1000))
        } catch JobInterruption.cancelled {
            entry.status = .skipped
            entry.outcome = "the account's job was cancelled"
        }
        entry.finishedAt = context.clock.now()
        return try await finish(entry)
    }

    /// Conflicts that mean "not now" rather than "broken": the account is skipped with the reason.
    static let waitingCodes: Set<String> = ["execution_in_progress", "account_halted", "account_unavailable", "client_inactive", "open_batch_exists",
                                                "approved_batch_waiting"]

    /// The account's job failed for good (its last attempt): the account ends failed and counts as done, so the
    /// cycle still ends.
    func giveUp(cycleID: String, accountHash: String, error: any Error) async throws {
        guard var entry = try await context.database.read({ try await $0.cycles.account(cycleID, accountHash: accountHash) }),
              !entry.status.isFinished else { return }
        entry.status = .failed
        entry.outcome = String("failed after every attempt: \(error)".prefix(1000))
        entry.finishedAt = context.clock.now()
        _ = try await finish(entry)
    }

    private func process(cycle: CycleRunRecord, entry: inout CycleAccountRecord, steps: CycleStepRecorder) async throws {
        let cycleID = cycle.cycleID, accountHash = entry.accountHash, clientID = entry.clientID
        if let why = try await stopReason(clientID: clientID) {
            entry.status = .skipped
            entry.outcome = why
            return
        }
        let selection = try await steps.run(.strategySelection, inputs: ["regime": cycle.regime ?? "unknown"]) {
            .completed(try await selectStrategy(cycle: cycle, accountHash: accountHash, clientID: clientID))
        }
        entry.strategy = selection.strategy
        entry.reason = selection.reason

        let forecast = try await steps.run(.predictions, inputs: ["portfolio_id": selection.portfolioID]) {
            .completed(try await predictions(cycleID: cycleID, clientID: clientID, portfolioID: selection.portfolioID))
        }
        _ = forecast

        if let why = try await stopReason(clientID: clientID) {
            entry.status = .skipped
            entry.outcome = why
            return
        }
        let portfolio = try await steps.run(.portfolioGeneration, inputs: selection) {
            .completed(try await generate(cycle: cycle, accountHash: accountHash, clientID: clientID, selection: selection))
        }
        let batch = try await steps.run(.batchCreation, inputs: ["batch_id": portfolio.batchID ?? ""]) {
            try await recordBatch(portfolio.batchID, cycleID: cycleID)
        }
        entry.batchID = batch.batchID
        entry.orders = batch.orders

        var awaiting = false
        if let batchID = batch.batchID, batch.orders > 0 {
            let approval = try await steps.run(.approval, inputs: ["batch_id": batchID]) {
                try await approve(batchID: batchID, clientID: clientID, accountHash: accountHash)
            }
            awaiting = !approval.approved
            if approval.approved {
                let executed = try await steps.run(.execution, inputs: ["batch_id": batchID, "dry_run": cycle.dryRun ? "true" : "false"]) {
                    try await execute(batchID: batchID, clientID: clientID, dryRun: cycle.dryRun)
                }
                entry.outcome = executed.note
                if executed.stopped {
                    entry.status = .skipped
                    return
                }
                _ = try await steps.run(.reconciliation, inputs: ["batch_id": batchID]) {
                    try await reconcile(batchID: batchID, accountHash: accountHash)
                }
            }
        }

        _ = try await steps.run(.performanceEvaluation, inputs: ["strategy": selection.strategy]) {
            .completed(try await evaluate(cycle: cycle, accountHash: accountHash, clientID: clientID, strategy: selection.strategy))
        }
        _ = try await steps.run(.adjustment, inputs: ["strategy": selection.strategy]) {
            .completed(try await adjust(accountHash: accountHash, clientID: clientID, strategy: selection.strategy))
        }

        let final = try await context.database.read { try await $0.batches.find(cycleID: cycleID, accountHash: accountHash) }
        if awaiting {
            entry.status = .awaitingApproval
            entry.outcome = "batch \(batch.batchID ?? "") waits for an advisor's approval"
        } else {
            entry.status = .completed
            if let final, entry.outcome == nil || final.status != .approved {
                entry.outcome = entry.outcome ?? "batch \(final.batchID) is \(final.status.rawValue)"
            }
            if batch.orders == 0 { entry.outcome = "nothing to trade: \(batch.note)" }
        }
    }

    /// Why nothing more may happen for this client now: the kill switch, the global pause or the client's pause.
    private func stopReason(clientID: Int) async throws -> String? {
        try await context.database.read { session in
            let stops = try await session.operations.tradingStops()
            if stops.killSwitch { return "skipped: the kill switch is engaged" }
            if stops.paused { return "skipped: trading is paused" }
            if let control = try await session.autonomy.control(clientID: clientID), control.paused {
                return "skipped: client \(clientID) is paused" + (control.pauseReason.map { " (\($0))" } ?? "")
            }
            return nil
        }
    }

    // MARK: strategy selection

    private func selectStrategy(cycle: CycleRunRecord, accountHash: String, clientID: Int) async throws -> AccountCycleOutputs.Selection {
        let now = context.clock.now()
        let settings = self.settings
        let performanceWindow = settings.performanceWindow
        return try await context.database.write(.outsideCachedReads) { session in
            guard let account = try await session.accounts.lock(hash: accountHash, in: session),
                  let client = try await session.clients.find(clientID),
                  let preferences = try await session.preferences.find(clientID: clientID),
                  let portfolio = try await session.referenceData.modelPortfolio(preferences.portfolioID) else {
                throw ServiceError.notFound("account \(accountHash), its client or preferences")
            }
            let control = try await session.autonomy.control(clientID: clientID)
            let previous = try await session.autonomy.state(accountHash: accountHash)
            let steering = try await GoalSteering.forAccount(account, userID: client.tradingUserID, session: session, now: now)
            let modelDeployed = try await session.models.deployed(family: .ml) != nil

            // Risk limits on the daily values so far plus the account's value now.
            let history = try await session.performance.history(accountHash: accountHash, limit: max(performanceWindow * 3, 60))
            let (snapshot, _) = try await PortfolioState.snapshot(account: account, extraSymbols: [], session: session)
            let valueNow = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
            // Judged on the time-weighted NAV: flows booked since the last row are neither gains nor losses.
            let flowSince = try await session.cashFlows.netFlow(accountHash: accountHash, after: history.last?.recordedAt, through: now)
            let navNow = TimeWeightedNAV.next(previousNAV: history.last?.unitValue, previousValue: history.last?.portfolioValue, value: valueNow,
                                              netFlow: NSDecimalNumber(decimal: flowSince).doubleValue)
            let monitor = AccountRiskMonitor(maxDrawdown: preferences.maxDrawdownLimit, maxVolatility: preferences.maxVolatilityLimit)
            let wasDerisked = previous?.deriskedAt != nil
            // The high-water mark since the limit was set, from every recorded day (not the window above).
            let limitDay = preferences.drawdownLimitSetAt.map { CivilDay($0).description }
            // No row since the limit was set: today's NAV is the mark.
            let peak = preferences.maxDrawdownLimit == nil ? nil
                : try await session.performance.peakUnitValue(accountHash: accountHash, since: limitDay) ?? navNow
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
            try await session.autonomy.save(state)
            return AccountCycleOutputs.Selection(strategy: decision.strategy.rawValue, portfolioID: portfolioID, riskFactor: decision.riskFactor,
                                                 rule: decision.rule, reason: decision.reason, switched: decision.switched, forced: decision.forced,
                                                 regime: cycle.regime, risk: risk, derisked: derisked)
        }
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

    private func predictions(cycleID: String, clientID: Int, portfolioID: Int) async throws -> AccountCycleOutputs.Forecast {
        let forecasts = try await rebalancing.predictions.predict(clientID: clientID, portfolioID: portfolioID, by: Self.principal,
                                                                  histories: histories(cycleID: cycleID))
        let top = forecasts.sorted { $0.expectedReturn > $1.expectedReturn }.prefix(5)
        return AccountCycleOutputs.Forecast(model: forecasts.first?.modelVersion ?? "none", symbols: forecasts.count,
                                            top: Dictionary(uniqueKeysWithValues: top.map { ($0.symbol, $0.expectedReturn.isFinite ? $0.expectedReturn : 0) }))
    }

    /// Plans the account's batch (target weights and orders, one transaction), unless the cycle already did.
    private func generate(cycle: CycleRunRecord, accountHash: String, clientID: Int,
                          selection: AccountCycleOutputs.Selection) async throws -> AccountCycleOutputs.Portfolio {
        let cycleID = cycle.cycleID
        if let existing = try await context.database.read({ try await $0.batches.find(cycleID: cycleID, accountHash: accountHash) }) {
            return AccountCycleOutputs.Portfolio(batchID: existing.batchID, targetWeights: PlanNotes.decode(existing.planNotes)?.targetWeights ?? [:],
                                                 note: "planned before this run resumed")
        }
        var request = RebalanceRequest(clientID: clientID, accountHash: accountHash, portfolioID: selection.portfolioID, useGoals: true)
        request.strategy = StrategyKind(rawValue: selection.strategy)
        request.riskFactor = selection.riskFactor
        request.cycleID = cycleID
        request.decisionReason = selection.reason
        request.histories = histories(cycleID: cycleID)
        let batch = try await rebalancing.rebalance(request, by: Self.principal)
        return AccountCycleOutputs.Portfolio(batchID: batch.batchID, targetWeights: PlanNotes.decode(batch.planNotes)?.targetWeights ?? [:],
                                             note: batch.cycleID == cycleID ? "planned" : "an identical batch was already waiting")
    }

    /// Checks the planned batch and closes it at once when it has nothing to trade.
    private func recordBatch(_ batchID: String?, cycleID: String) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Batch> {
        guard let batchID, let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else {
            return .skipped(AccountCycleOutputs.Batch(batchID: nil, status: nil, orders: 0, note: "no batch was planned"))
        }
        if batch.orders.isEmpty {
            let now = context.clock.now()
            try await context.database.write { session in
                _ = try await session.batches.transition(batchID, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                    "rejected_by": "autonomous", "rejected_at": now, "rejection_reason": "nothing to trade: holdings are within the drift threshold",
                ])
            }
            return .completed(AccountCycleOutputs.Batch(batchID: batchID, status: BatchStatus.rejected.rawValue, orders: 0,
                                                        note: "holdings are within the drift threshold"))
        }
        return .completed(AccountCycleOutputs.Batch(batchID: batchID, status: batch.status.rawValue, orders: batch.orders.count,
                                                    note: "\(batch.orders.count) order(s), \(batch.status.rawValue)"))
    }

    // MARK: approval and execution

    private func approve(batchID: String, clientID: Int, accountHash: String) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Approval> {
        let now = context.clock.now()
        let settings = context.settings
        return try await context.database.write { session in
            guard let batch = try await session.batches.find(batchID) else { throw ServiceError.notFound("batch \(batchID)") }
            switch batch.status {
            case .pendingApproval:
                try await AlertOutbox.raise(NewAlert(kind: Self.awaitingApprovalAlert, severity: "info", clientID: clientID, accountHash: accountHash,
                                                     message: "batch \(batchID) (\(batch.orders.count) orders, \(batch.strategy)) waits for approval"),
                                            session: session, settings: settings, at: now)
                return .completed(AccountCycleOutputs.Approval(approved: false, by: nil, note: "the client's preferences require approval: alert raised"))
            case .approved, .executing, .executed, .partiallyExecuted, .needsReconciliation, .failed:
                return .completed(AccountCycleOutputs.Approval(approved: true, by: batch.approvedBy, note: "approved automatically (the client's preferences allow it)"))
            default:
                return .skipped(AccountCycleOutputs.Approval(approved: false, by: nil, note: "batch is \(batch.status.rawValue)"))
            }
        }
    }

    private func execute(batchID: String, clientID: Int, dryRun: Bool) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Execution> {
        guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else { throw ServiceError.notFound("batch \(batchID)") }
        func summary(_ batch: BatchRecord, _ note: String) -> AccountCycleOutputs.Execution {
            AccountCycleOutputs.Execution(mode: batch.executionMode?.rawValue, batchStatus: batch.status.rawValue,
                                          ordersSent: batch.orders.filter { $0.status != .planned && $0.status != .cancelled }.count,
                                          ordersFilled: batch.orders.filter { $0.status == .filled }.count, note: note)
        }
        switch batch.status {
        case .approved:
            if let why = try await stopReason(clientID: clientID) {
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

    private func reconcile(batchID: String, accountHash: String) async throws -> CycleStepRecorder.Outcome<AccountCycleOutputs.Reconciliation> {
        guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else { throw ServiceError.notFound("batch \(batchID)") }
        guard batch.status == .executing || batch.status == .needsReconciliation
                || batch.orders.contains(where: { [.unknown, .submitting, .working].contains($0.status) }) else {
            return .skipped(AccountCycleOutputs.Reconciliation(ordersResolved: 0, ordersStillUnknown: 0, mismatches: 0,
                                                               note: "nothing in flight: batch is \(batch.status.rawValue)"))
        }
        let report = try await reconciliation.reconcile(inFlightGrace: 0, accountHash: accountHash)
        return .completed(AccountCycleOutputs.Reconciliation(ordersResolved: report.ordersResolved, ordersStillUnknown: report.ordersStillUnknown,
                                                             mismatches: report.mismatches.count, note: "reconciled with the broker"))
    }

    // MARK: monitoring and adjustment

    /// Today's value and return against the benchmark, one row per account and day.
    private func evaluate(cycle: CycleRunRecord, accountHash: String, clientID: Int, strategy: String) async throws -> AccountCycleOutputs.Performance {
        let now = context.clock.now()
        let benchmark = cycle.regimeSymbol
        let windowDays = settings.performanceWindow, demotionThreshold = settings.demotionTStatistic, minimumDays = settings.minimumJudgedDays
        return try await context.database.write(.outsideCachedReads) { session in
            // Locked: a deposit or withdrawal (which locks the account too) lands wholly before or after the value and the flows read here.
            guard let account = try await session.accounts.lock(hash: accountHash, in: session) else { throw ServiceError.notFound("account \(accountHash)") }
            let (snapshot, _) = try await PortfolioState.snapshot(account: account, extraSymbols: [], session: session)
            let value = NSDecimalNumber(decimal: snapshot.totalValue).doubleValue
            let close = try await session.marketBars.latestPrices(symbols: [benchmark])[benchmark]?.close
            let previous = try await session.performance.history(accountHash: accountHash, before: cycle.cycleDate, limit: 1).last
            let flow = NSDecimalNumber(decimal: try await session.cashFlows.netFlow(accountHash: accountHash, after: previous?.recordedAt, through: now)).doubleValue
            let daily = previous.flatMap { TimeWeightedNAV.periodReturn(previousValue: $0.portfolioValue, value: value, netFlow: flow) }
            let nav = TimeWeightedNAV.next(previousNAV: previous?.unitValue, previousValue: previous?.portfolioValue, value: value, netFlow: flow)
            let benchmarkDaily: Double? = if let close, let before = previous?.benchmarkClose, before > 0 { close / before - 1 } else { nil }
            try await session.performance.record(AccountPerformanceRecord(
                accountHash: accountHash, clientID: clientID, day: cycle.cycleDate, strategy: strategy, portfolioValue: value,
                dailyReturn: daily, benchmarkClose: close, benchmarkReturn: benchmarkDaily, cycleID: cycle.cycleID, recordedAt: now,
                netFlow: flow, unitValue: nav))
            // What the cycle judges the running strategy on, as of today: its window against the benchmark and the
            // account's drawdown from its high-water mark.
            let rows = try await session.performance.history(accountHash: accountHash, limit: windowDays)
            let running = Array(rows.reversed().prefix { $0.strategy == strategy }.reversed()).filter { $0.dailyReturn != nil }
            let window = running.isEmpty ? nil : LivePerformance(returns: running.compactMap(\.dailyReturn), benchmark: running.map(\.benchmarkReturn))
            let peak = try await session.performance.peakUnitValue(accountHash: accountHash, since: nil) ?? nav
            return AccountCycleOutputs.Performance(day: cycle.cycleDate, portfolioValue: value, dailyReturn: daily, benchmarkReturn: benchmarkDaily,
                                                   netFlow: flow, unitValue: nav,
                                                   window: window, drawdownFromHighWaterMark: peak > 0 ? nav / peak - 1 : 0,
                                                   demotionTStatistic: demotionThreshold.isFinite ? demotionThreshold : nil, minimumJudgedDays: minimumDays)
        }
    }

    /// Judges the running strategy on its live record; one trailing its benchmark by more than the margin is demoted.
    private func adjust(accountHash: String, clientID: Int, strategy: String) async throws -> AccountCycleOutputs.Adjustment {
        let now = context.clock.now()
        let settings = self.settings
        let logger = context.logger
        return try await context.database.write(.outsideCachedReads) { session in
            let rows = try await session.performance.history(accountHash: accountHash, limit: settings.performanceWindow)
            // The record of this strategy: the trailing days it has been running.
            let running = Array(rows.reversed().prefix { $0.strategy == strategy }.reversed()).filter { $0.dailyReturn != nil }
            let window = running.isEmpty ? nil : LivePerformance(returns: running.compactMap(\.dailyReturn), benchmark: running.map(\.benchmarkReturn))
            let threshold = settings.demotionTStatistic
            guard let window, window.days >= settings.minimumJudgedDays, let excess = window.excessReturn, let t = window.excessTStatistic else {
                return AccountCycleOutputs.Adjustment(strategy: strategy, window: window, demoted: false,
                                                      note: "\(window?.days ?? 0) of \(settings.minimumJudgedDays) days of record: not judged yet",
                                                      excessTStatistic: window?.excessTStatistic, threshold: threshold.isFinite ? threshold : nil)
            }
            guard t <= threshold, var state = try await session.autonomy.state(accountHash: accountHash),
                  state.demotedStrategy != strategy || (state.demotedUntil ?? .distantPast) <= now else {
                return AccountCycleOutputs.Adjustment(strategy: strategy, window: window, demoted: false,
                                                      note: String(format: "excess return %.2f%% over %d days, t %.2f (demoted at %.2f or below): kept",
                                                                   excess * 100, window.days, t, threshold),
                                                      excessTStatistic: t, threshold: threshold.isFinite ? threshold : nil)
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
            return AccountCycleOutputs.Adjustment(strategy: strategy, window: window, demoted: true, note: note, excessTStatistic: t,
                                                  threshold: threshold.isFinite ? threshold : nil)
        }
    }

    // MARK: finish

    /// Stores the account's outcome and counts it; the last account to finish ends the cycle.
    private func finish(_ entry: CycleAccountRecord) async throws -> CycleAccountRecord {
        let now = context.clock.now()
        let record = entry
        try await context.database.write(.outsideCachedReads) { session in
            try await session.cycles.updateAccount(record)
            let (done, total) = try await session.cycles.countAccountDone(record.cycleID)
            if done >= total {
                try await CycleCoordinator.complete(record.cycleID, session: session, at: now)
            }
        }
        return record
    }
}
