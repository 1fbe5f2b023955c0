import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Executes approved batches under the safety rules of DESIGN.md section 6:
/// claim by one atomic transition, approved content only, pre-trade risk checks, intent committed
/// before each broker call, every response recorded, unknown outcomes never re-sent.
public struct ExecutionService: Sendable {
    let context: ServiceContext
    let brokers: BrokerRegistry
    let approvals: ApprovalService
    /// Re-measured after a batch has executed.
    let goals: GoalService?

    public init(context: ServiceContext, brokers: BrokerRegistry, goals: GoalService? = nil) {
        self.context = context
        self.brokers = brokers
        self.approvals = ApprovalService(context: context)
        self.goals = goals
    }

    public func execute(batchID: String, dryRun: Bool, by principal: Principal) async throws -> ExecutionReport {
        try principal.ensureStaff()
        // A split that began since the batch was planned expires it before anything is sent in old shares.
        try await SplitLedger.applyDue(context: context)
        try await approvals.expireIfDue(batchID)
        let prepared = try await prepare(batchID: batchID, dryRun: dryRun)
        if !prepared.violations.isEmpty {
            try await auditBlocked(prepared, by: principal)
            throw Self.riskError(prepared.violations)
        }
        if dryRun { return try await simulate(prepared, by: principal) }
        return try await send(prepared, by: principal)
    }

    /// Batches as a dry run would fill them now, before anyone approves them (the approval queue's preview): each
    /// order priced at the stored close with the paper broker's slippage and fees, the cash before and after, and
    /// the pre-trade checks against the books. The switches, prices, instruments and the page's accounts, clients,
    /// preferences and positions are read once for all of them. Writes nothing, calls no broker; execution checks
    /// again, against the broker's quotes, under the account's lock.
    public func previews(_ batches: [BatchRecord], by principal: Principal) async throws -> [String: (trades: [ExecutedTrade], cashBefore: Decimal, cashAfter: Decimal, violations: [RiskViolation], client: ClientRecord)] {
        try principal.ensureStaff()
        let brokers = self.brokers, limits = context.settings.riskLimits, costs = context.settings.paperCosts
        return try await context.database.read { session in
            let (killSwitch, paused) = try await session.operations.tradingStops()
            // Four queries for the whole page, not four per batch.
            let hashes = Array(Set(batches.map(\.accountHash))), clientIDs = Array(Set(batches.map(\.clientID)))
            let accounts = try await session.accounts.find(hashes: hashes), clients = try await session.clients.find(ids: clientIDs)
            let preferences = try await session.preferences.find(clientIDs: clientIDs), positions = try await session.ledger.positions(accountHashes: hashes)
            let books = batches.compactMap { batch -> (BatchRecord, AccountRecord, ClientRecord, PreferencesRecord, [PositionRecord])? in
                guard let account = accounts[batch.accountHash], let client = clients[batch.clientID], let prefs = preferences[batch.clientID] else { return nil }
                return (batch, account, client, prefs, positions[batch.accountHash] ?? [])
            }
            let orderSymbols = Set(batches.flatMap { $0.orders.map(\.symbol) })
            let latest = try await session.marketBars.latestPrices(symbols: Array(orderSymbols.union(books.flatMap { $0.4.map(\.symbol) })).sorted())
            let prices = latest.compactMapValues { Decimal(exactly: $0.close) }
            let tradable = Set(try await session.referenceData.instruments(Array(orderSymbols)).values.filter(\.tradable).map(\.symbol))
            var out: [String: (trades: [ExecutedTrade], cashBefore: Decimal, cashAfter: Decimal, violations: [RiskViolation], client: ClientRecord)] = [:]
            for (batch, account, client, preferences, positions) in books {
                let snapshot = PortfolioSnapshot(cash: account.cash, holdings: positions.map(\.holding), prices: prices)
                let book = Books(batch: batch, account: account, client: client, preferences: preferences, killSwitch: killSwitch, paused: paused,
                                 snapshot: snapshot, tradable: tradable)
                let (trades, cash) = Self.simulatedFills(batch.orders, quotes: prices, cash: account.cash, costs: costs)
                out[batch.batchID] = (trades, account.cash, cash, book.violations(mode: preferences.tradingMode, quotes: prices, brokers: brokers, limits: limits), client)
            }
            return out
        }
    }

    /// Every order filled as the paper broker would fill it at `quotes` (orders without a quote are left out),
    /// and the cash that leaves.
    static func simulatedFills(_ orders: [BatchOrderRecord], quotes: [String: Decimal], cash start: Decimal, costs: PaperExecutionCosts) -> ([ExecutedTrade], Decimal) {
        var cash = start
        var trades: [ExecutedTrade] = []
        for order in orders {
            guard let last = quotes[order.symbol] else { continue }
            let price = costs.fillPrice(last: last, side: order.side)
            let notional = (order.quantity * price).roundedToCents
            let commission = costs.fees(side: order.side, notional: notional, quantity: order.quantity,
                                        assetClass: AssetClass.inferred(fromSymbol: order.symbol))
            cash += order.side == .buy ? -(notional + commission) : notional - commission
            trades.append(ExecutedTrade(orderID: order.orderID, clientOrderKey: order.clientOrderKey, symbol: order.symbol, side: order.side,
                                        quantity: order.quantity, price: price, notional: notional, commission: commission,
                                        status: .filled, message: "simulated"))
        }
        return (trades, cash.roundedToCents)
    }

    enum Claim: Sendable {
        case claimed, lost
        case blocked([RiskViolation])
    }

    struct Prepared: Sendable {
        var batch: BatchRecord
        var account: AccountRecord
        var client: ClientRecord
        var mode: TradingMode
        var snapshot: PortfolioSnapshot
        var quotes: [String: Decimal]
        var violations: [RiskViolation]
    }

    /// The books and switches a decision is taken against, read in the caller's session.
    struct Books: Sendable {
        var batch: BatchRecord
        var account: AccountRecord
        var client: ClientRecord
        var preferences: PreferencesRecord
        var killSwitch: Bool
        var paused: Bool
        var snapshot: PortfolioSnapshot
        var tradable: Set<String>

        static func read(batchID: String, lockingAccount: Bool, session: Session) async throws -> Books {
            guard let batch = try await session.batches.find(batchID) else { throw ServiceError.notFound("batch \(batchID)", field: "batch_id") }
            let found = lockingAccount ? try await session.accounts.lock(hash: batch.accountHash, in: session)
                                       : try await session.accounts.find(hash: batch.accountHash)
            guard let account = found,
                  let client = try await session.clients.find(batch.clientID),
                  let preferences = try await session.preferences.find(clientID: batch.clientID) else {
                throw ServiceError.notFound("account or client of batch \(batchID)")
            }
            let (killSwitch, paused) = try await session.operations.tradingStops()
            let (snapshot, _) = try await PortfolioState.snapshot(account: account, extraSymbols: batch.orders.map(\.symbol), session: session)
            let instruments = try await session.referenceData.instruments(batch.orders.map(\.symbol))
            return Books(batch: batch, account: account, client: client, preferences: preferences, killSwitch: killSwitch, paused: paused,
                         snapshot: snapshot, tradable: Set(instruments.values.filter(\.tradable).map(\.symbol)))
        }

        func violations(mode: TradingMode, quotes: [String: Decimal], brokers: BrokerRegistry, limits: RiskLimits) -> [RiskViolation] {
            let context = PreTradeRiskChecker.Context(
                killSwitchEngaged: killSwitch, tradingPaused: paused, allowedModes: brokers.allowedModes(for: account), snapshot: snapshot,
                latestPrices: quotes, tradableSymbols: tradable, maxPositionWeight: preferences.maxWeight, accountHalted: account.haltedReason)
            return PreTradeRiskChecker(limits: limits).violations(for: batch.orders.map(\.plannedOrder), mode: mode, context: context)
        }
    }

    /// Reads everything the decision needs and runs the pre-trade checks; writes nothing. A real execution
    /// runs the checks again inside the account lock, against the books as they are then (see `send`).
    private func prepare(batchID: String, dryRun: Bool) async throws -> Prepared {
        let books = try await context.database.read { try await Books.read(batchID: batchID, lockingAccount: false, session: $0) }
        let batch = books.batch, account = books.account, client = books.client
        guard batch.status == .approved else { throw ApprovalService.stateError(batch, action: "execute") }
        let hash = BatchContentHash.compute(accountHash: batch.accountHash, orders: batch.orders)
        guard hash == batch.approvedHash, hash == batch.contentHash else {
            throw ServiceError.conflict("content_changed", "batch \(batchID) does not match the approved content; regenerate and approve it again")
        }
        let mode: TradingMode
        if dryRun {
            mode = .dryRun
        } else if books.preferences.tradingMode == .dryRun {
            throw ServiceError(.validation, code: "dry_run_only",
                               message: "client \(client.clientID) trades in dry_run mode; change trading_mode in the preferences to execute", field: "dry_run")
        } else {
            mode = books.preferences.tradingMode
        }
        guard account.status == .active else {
            throw ServiceError.conflict("account_unavailable", "account \(account.accountHash) is \(account.status.rawValue); no order may be sent")
        }

        let broker = try brokers.broker(for: account)
        let quotes: [String: Decimal]
        do {
            quotes = try await broker.quotes(symbols: batch.orders.map(\.symbol), accountID: account.accountHash).mapValues(\.last)
        } catch {
            throw ServiceError(.unavailable, code: "broker_unavailable", message: "\(broker.name) could not price the orders; nothing was sent: \(error)")
        }
        let violations = books.violations(mode: mode, quotes: quotes, brokers: brokers, limits: context.settings.riskLimits)
        return Prepared(batch: batch, account: account, client: client, mode: mode, snapshot: books.snapshot, quotes: quotes, violations: violations)
    }

    /// A dry run: every order priced as the paper broker would fill it; no order, fill, position or cash changes.
    private func simulate(_ prepared: Prepared, by principal: Principal) async throws -> ExecutionReport {
        let (trades, cash) = Self.simulatedFills(prepared.batch.orders, quotes: prepared.quotes, cash: prepared.snapshot.cash, costs: context.settings.paperCosts)
        let now = context.clock.now()
        let batch = prepared.batch
        let wouldTrade = trades.count
        try await context.database.write { session in
            try await session.audit("batch.dry_run", actor: principal.userID, entityType: "batch", entityID: batch.batchID,
                                    clientID: batch.clientID, at: now, details: ["would_trade": String(wouldTrade)])
        }
        return ExecutionReport(batchID: batch.batchID, mode: .dryRun, dryRun: true, success: true, batchStatus: batch.status,
                               trades: trades, cashBefore: prepared.snapshot.cash, cashAfter: cash, riskViolations: [])
    }

    private func send(_ prepared: Prepared, by principal: Principal) async throws -> ExecutionReport {
        let now = context.clock.now()
        let batch = prepared.batch
        let mode = prepared.mode
        let brokers = self.brokers, limits = context.settings.riskLimits, quotes = prepared.quotes
        // Rule 7: the claim runs under the account's row lock; the pre-trade checks are taken again there,
        // against the books as they are now, so two batches of one account can never both pass on the same cash.
        let claim = try await context.database.write { session -> Claim in
            let books = try await Books.read(batchID: batch.batchID, lockingAccount: true, session: session)
            // Read again under the lock: a concurrent executor may have claimed (and begun spending for) this very
            // batch, and its checks must not be judged against the books that execution is changing.
            guard books.batch.status == .approved else { return .lost }
            let busy = try await session.batches.list(accountHash: batch.accountHash, statuses: BatchStatus.inFlight)
                .first { $0.batchID != batch.batchID }
            if let busy {
                throw ServiceError.conflict("execution_in_progress", "batch \(busy.batchID) of this account is \(busy.status.rawValue); wait for it to finish")
            }
            let violations = books.violations(mode: mode, quotes: quotes, brokers: brokers, limits: limits)
            if !violations.isEmpty { return .blocked(violations) }
            let claimed = try await session.batches.transition(batch.batchID, from: [.approved], to: .executing, at: now, setting: [
                "execution_mode": mode.rawValue, "executed_by": principal.userID, "execution_started_at": now,
            ])
            guard claimed else { return .lost }
            try await session.audit("batch.execute.start", actor: principal.userID, entityType: "batch", entityID: batch.batchID,
                                    clientID: batch.clientID, at: now, details: ["mode": mode.rawValue])
            return .claimed
        }
        switch claim {
        case .claimed: break
        case .lost:
            // Someone else moved the batch first: an executor, a rejection, or a newer plan that superseded it.
            if let now = try await context.database.read({ try await $0.batches.find(batch.batchID) }),
               !BatchStatus.inFlight.contains(now.status), now.status != .executed {
                throw ApprovalService.stateError(now, action: "execute")
            }
            throw ServiceError.conflict("batch_already_claimed", "batch \(batch.batchID) is already being executed or was executed")
        case .blocked(let violations):
            var blocked = prepared
            blocked.violations = violations
            try await auditBlocked(blocked, by: principal)
            throw Self.riskError(violations)
        }

        let broker = try brokers.broker(for: prepared.account)
        var results: [BatchOrderRecord] = []
        var halted = false
        for (index, order) in batch.orders.enumerated() {
            if halted { results.append(order); continue }
            guard let sent = try await sendOne(order, batch: batch, prepared: prepared, broker: broker) else {
                // The kill switch (or the pause) came on during the execution: what is not sent yet is never sent.
                results += try await withdraw(Array(batch.orders[index...]), reason: "not sent: trading was stopped (kill switch or pause) during the execution")
                break
            }
            results.append(sent)
            // An order of unknown fate may have moved cash or positions: send nothing more until reconciled.
            if sent.status == .unknown { halted = true }
            // Placed while the kill switch was being engaged: the switch's own sweep may have missed it, so it is
            // cancelled here rather than left working at the broker.
            if sent.status == .working || sent.status == .partiallyFilled,
               try await context.database.read({ try await $0.operations.state(.killSwitch) }) == "engaged",
               let cancelled = try await OrderCancellation(context: context).cancel(sent, batch: batch, account: prepared.account, client: prepared.client,
                                                                                     broker: broker, actor: principal.userID, reason: "kill switch") {
                results[results.count - 1] = cancelled
            }
        }
        let finalStatus = try await finish(batchID: batch.batchID, clientID: batch.clientID, by: principal.userID)
        KeelMetrics.batchExecuted(status: finalStatus.rawValue, seconds: context.clock.now().timeIntervalSince(now))
        if let goals {
            // Derived data: the batch is final whatever happens here; the next trigger re-measures.
            do { try await goals.reevaluate(touching: prepared.account, userID: prepared.client.tradingUserID, trigger: "batch_executed") }
            catch {
                var logger = context.logger
                logger[metadataKey: "batch_id"] = .string(batch.batchID)
                logger[metadataKey: "account_hash"] = .string(batch.accountHash)
                logger[metadataKey: "client_id"] = .string(String(batch.clientID))
                logger.warning("goal progress after the batch could not be updated: \(error)")
            }
        }
        let cashAfter = try await context.database.read { try await $0.accounts.find(hash: batch.accountHash)?.cash } ?? prepared.snapshot.cash
        let trades = results.map { order in
            ExecutedTrade(orderID: order.orderID, clientOrderKey: order.clientOrderKey, symbol: order.symbol, side: order.side,
                          quantity: order.filledQuantity > 0 ? order.filledQuantity : order.quantity, price: order.averageFillPrice,
                          notional: order.averageFillPrice.map { ($0 * order.filledQuantity).roundedToCents }, commission: order.commission,
                          status: order.status, message: order.rejectReason)
        }
        return ExecutionReport(batchID: batch.batchID, mode: mode, dryRun: false, success: ExecutionReport.succeeded(finalStatus), batchStatus: finalStatus,
                               trades: trades, cashBefore: prepared.snapshot.cash, cashAfter: cashAfter, riskViolations: [],
                               note: ExecutionReport.waitingNote(trades, status: finalStatus, at: context.clock.now(),
                                                                 keepsMarketHours: mode == .paper && context.settings.paperCosts.keepsMarketHours))
    }

    /// Sends one order; nil when the kill switch or the pause is on (checked in the transaction that commits the
    /// intent, so an order is either sent under running switches or not at all).
    private func sendOne(_ order: BatchOrderRecord, batch: BatchRecord, prepared: Prepared, broker: any Broker) async throws -> BatchOrderRecord? {
        let clock = context.clock
        // Rule 1: the intent is durable before the broker hears of it.
        var intent = order
        intent.status = .submitting
        intent.submittedAt = clock.now()
        intent.updatedAt = clock.now()
        let committed = intent
        let allowed = try await context.database.write { session -> Bool in
            let stops = try await session.operations.tradingStops()
            guard !stops.killSwitch, !stops.paused else {
                return false
            }
            try await session.batches.saveOrder(committed)
            return true
        }
        guard allowed else { return nil }

        let request = BrokerOrderRequest(accountID: prepared.account.accountHash, clientOrderKey: order.clientOrderKey,
                                         symbol: order.symbol, side: order.side, quantity: order.quantity)
        let started = clock.now()
        let outcome: OrderOutcome
        do {
            outcome = .answered(try await broker.placeOrder(request))
        } catch let error as BrokerError {
            switch error {
            case .outcomeUnknown(let reason): outcome = .unknown(reason)
            case .rejected(let reason), .unknownAccount(let reason), .noQuote(let reason), .notSupported(let reason): outcome = .refused(reason)
            }
        } catch {
            // Anything unexpected after the call began may have reached the broker.
            outcome = .unknown(String(describing: error))
        }
        let elapsed = Int(clock.now().timeIntervalSince(started) * 1000)
        let account = prepared.account, client = prepared.client, strategy = batch.strategy, brokerName = broker.name
        return try await context.database.write { session in
            try await outcome.apply(to: committed, account: account, client: client, strategyID: strategy, broker: brokerName,
                                    operation: "place_order", durationMilliseconds: elapsed, session: session, now: clock.now())
        }
    }

    /// Orders never sent, marked cancelled with the reason (the batch then ends partially executed or failed).
    private func withdraw(_ orders: [BatchOrderRecord], reason: String) async throws -> [BatchOrderRecord] {
        let now = context.clock.now()
        let withdrawn = orders.map { order in
            var order = order
            order.status = .cancelled
            order.rejectReason = reason
            order.updatedAt = now
            return order
        }
        try await context.database.write { session in
            for order in withdrawn { try await session.batches.saveOrder(order) }
        }
        return withdrawn
    }

    /// Sets the batch's status from its orders (final, or working / needs_reconciliation while any is open).
    func finish(batchID: String, clientID: Int, by actor: String) async throws -> BatchStatus {
        try await BatchSettlement(context: context).finish(batchID: batchID, clientID: clientID, by: actor)
    }

    private func auditBlocked(_ prepared: Prepared, by principal: Principal) async throws {
        let now = context.clock.now()
        let batch = prepared.batch
        let summary = prepared.violations.map { "\($0.rule.rawValue): \($0.message)" }.joined(separator: "; ")
        try await context.database.write { session in
            try await session.audit("batch.execute.blocked", actor: principal.userID, entityType: "batch", entityID: batch.batchID,
                                    clientID: batch.clientID, at: now, details: ["violations": summary, "mode": prepared.mode.rawValue])
        }
    }

    static func riskError(_ violations: [RiskViolation]) -> ServiceError {
        let message = "pre-trade checks failed, nothing was sent: " + violations.map(\.message).joined(separator: "; ")
        if violations.contains(where: { $0.rule == .killSwitch }) {
            return ServiceError(.conflict, code: "kill_switch_engaged", message: message)
        }
        if violations.contains(where: { $0.rule == .accountHalted }) {
            return ServiceError(.conflict, code: "account_halted", message: message)
        }
        if violations.contains(where: { $0.rule == .tradingPaused }) {
            return ServiceError(.conflict, code: "trading_paused", message: message)
        }
        return ServiceError(.validation, code: "risk_check_failed", message: message, field: violations.first?.symbol.map { "orders.\($0)" })
    }
}
