import Foundation
import KeelCore
import KeelML
import KeelStore

/// Builds a rebalance batch: predictions -> target weights (strategy x preferences) -> orders from current
/// holdings, stored with a content hash in one transaction. An older open batch of the account is superseded.
public struct RebalanceService: Sendable {
    let context: ServiceContext
    let predictions: PredictionService
    let active: ActivePredictor
    /// Brings a live (Schwab) account's books up to date from the broker before planning.
    let accountSync: SchwabAccountSync?
    let goals: GoalService?

    public init(context: ServiceContext, predictor: any ReturnPredictor = MomentumBaselineModel(), accountSync: SchwabAccountSync? = nil,
                goals: GoalService? = nil, active: ActivePredictor? = nil) {
        self.context = context
        self.goals = goals
        let active = active ?? ActivePredictor(baseline: predictor, context: context)
        self.active = active
        self.predictions = PredictionService(context: context, predictor: predictor, active: active)
        self.accountSync = accountSync
    }

    public func rebalance(_ request: RebalanceRequest, by principal: Principal) async throws -> BatchRecord {
        try principal.ensureStaff()
        guard let clientID = request.clientID else { throw ServiceError.invalid("client_id", "client_id is required") }
        guard let accountHash = request.accountHash, !accountHash.isEmpty else { throw ServiceError.invalid("account_hash", "account_hash is required") }
        if let maxPositions = request.maxPositions { _ = try FieldValidation.range(maxPositions, 1...100, field: "max_positions") }
        let now = context.clock.now()
        let settings = context.settings
        let active = self.active
        let predictions = self.predictions
        if let accountSync, let account = try await context.database.read({ try await $0.accounts.find(hash: accountHash) }),
           account.clientID == clientID, account.brokerage.code == "schwab", account.status == .active {
            try await accountSync.sync(account)
        }

        let useGoals = request.useGoals ?? true
        let planned: BatchRecord
        do {
            planned = try await plan(clientID: clientID, accountHash: accountHash, request: request, useGoals: useGoals, principal: principal,
                                     now: now, settings: settings, predictions: predictions)
        } catch {
            await active.raiseRefusalAlerts()
            throw error
        }
        await active.raiseRefusalAlerts()
        return planned
    }

    /// The planning transaction (its artifact refusals, if any, are alerted by the caller once it has ended).
    private func plan(clientID: Int, accountHash: String, request: RebalanceRequest, useGoals: Bool, principal: Principal, now: Date,
                      settings: ServiceSettings, predictions: PredictionService) async throws -> BatchRecord {
        let active = self.active
        let batch = try await context.database.write { session in
            guard let client = try await session.clients.find(clientID) else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            guard client.status == .active else {
                throw ServiceError.conflict("client_inactive", "client \(clientID) is deactivated", field: "client_id")
            }
            // The account's row lock serialises every planner, executor and ledger posting of this account: the
            // open-batch check below and the insert cannot interleave with another request's.
            guard let account = try await session.accounts.lock(hash: accountHash, in: session), account.clientID == clientID else {
                throw ServiceError.notFound("account \(accountHash) of client \(clientID)", field: "account_hash")
            }
            guard account.status == .active else {
                throw ServiceError.conflict("account_unavailable", "account \(accountHash) is \(account.status.rawValue); reconnect it before rebalancing", field: "account_hash")
            }
            if let reason = account.haltedReason {
                throw ServiceError.conflict("account_halted", "account \(accountHash) is halted: \(reason); resolve the reconciliation first", field: "account_hash")
            }
            guard var preferences = try await session.preferences.find(clientID: clientID) else {
                throw ServiceError.notFound("preferences of client \(clientID)")
            }
            if let maxPositions = request.maxPositions { preferences.maxPositions = maxPositions }
            if let portfolioID = request.portfolioID { preferences.portfolioID = portfolioID }
            let requireApproval = request.requireApproval ?? preferences.requireApproval

            let (portfolio, symbols) = try await predictions.universe(clientID: clientID, portfolioID: preferences.portfolioID, session: session)
            let since = now.addingTimeInterval(-400 * 86_400)
            let histories: [BarSeries]
            if let shared = request.histories {
                histories = try await shared(symbols, since, session)
            } else {
                histories = try await session.marketBars.history(symbols: symbols, since: since)
            }
            let resolved = try await active.resolve(session: session)
            let predictor = resolved.predictor
            let forecast = await request.forecasts?(resolved.modelID, symbols) { predictor.predict(histories: histories, asOf: now) }
                ?? predictor.predict(histories: histories, asOf: now)
            guard !forecast.isEmpty else {
                throw ServiceError(.unavailable, code: "no_market_data", message: "not enough price history to plan a rebalance for \(portfolio.name)")
            }
            // Goals steer the batch: re-measured now, then their combined factor and chosen strategy family.
            var steering: GoalSteering?
            if useGoals {
                let ids = try await session.goals.goals(touching: accountHash, clientID: clientID, userID: client.tradingUserID).map(\.goalID)
                try await GoalEvaluator(settings: settings).reevaluate(ids, trigger: "rebalance", session: session, now: now)
                steering = try await GoalSteering.forAccount(account, userID: client.tradingUserID, session: session, now: now)
            }
            let kind = request.strategy ?? steering?.strategy ?? portfolio.strategy
            let factor = request.riskFactor ?? steering?.factor ?? 1
            // The same strategy objects the backtester replays.
            let constraints = GoalRiskScaling.constraints(preferences.constraints, factor: factor)
            var targets: [String: Double]
            var modelID = resolved.modelID, modelVersion = predictor.modelVersion, strategyName = kind.rawValue
            if request.strategy == .rlPolicy || (request.strategy == nil && portfolio.strategy == .rlPolicy) {
                guard let policy = try await active.resolvePolicy(session: session) else {
                    throw ServiceError.conflict("no_rl_policy_deployed", "model portfolio \(portfolio.name) rebalances to the deployed RL policy, and none is deployed: train one (POST /api/rl/train) and deploy it", field: "portfolio_id")
                }
                let market = AlignedMarket(histories)
                guard market.count > 0 else { throw ServiceError(.unavailable, code: "no_market_data", message: "no price history for \(portfolio.name)") }
                // The account is part of the observation: the policy sees what the account holds now.
                let (holdings, _) = try await PortfolioState.snapshot(account: account, extraSymbols: [], session: session)
                var strategy = policy.strategy
                strategy.currentWeights = Dictionary(uniqueKeysWithValues: holdings.holdings.keys.map { ($0, holdings.weight(of: $0)) })
                targets = strategy.targetWeights(market.view(at: market.count - 1), constraints: constraints)
                modelID = policy.modelID
                modelVersion = policy.version
                strategyName = StrategyKind.rlPolicy.rawValue
            } else {
                targets = PredictedReturnStrategy(kind: kind, predictor: predictor).targetWeights(predictions: forecast, constraints: constraints)
            }

            let (snapshot, latest) = try await PortfolioState.snapshot(account: account, extraSymbols: Array(targets.keys), session: session)
            if factor != 1 {
                let current = Dictionary(uniqueKeysWithValues: snapshot.holdings.keys.map { ($0, snapshot.weight(of: $0)) })
                targets = GoalRiskScaling.weights(targets, factor: factor, current: current, constraints: preferences.constraints)
            }
            var fresh = snapshot
            fresh.prices = snapshot.prices.filter { symbol, _ in
                guard let stamp = latest[symbol]?.timestamp else { return false }
                return now.timeIntervalSince(stamp) <= settings.maximumPriceAge
            }
            let instruments = try await session.referenceData.instruments(Array(Set(targets.keys).union(snapshot.holdings.keys)))
            // Stale data never buys: a name whose last bar is not from the latest completed session keeps at most
            // what the account holds of it.
            var staleExcluded: [String: String] = [:]
            for (symbol, weight) in targets {
                let assetClass = instruments[symbol]?.assetClass ?? .inferred(fromSymbol: symbol)
                guard let reason = settings.priceFreshness.staleness(lastBar: latest[symbol]?.timestamp, asOf: now, assetClass: assetClass) else { continue }
                let held = snapshot.weight(of: symbol)
                guard weight > held else { continue }
                targets[symbol] = held
                staleExcluded[symbol] = reason + ": no new buys"
            }
            let planner = RebalancePlanner(settings: .init(minimumOrderNotional: settings.minimumOrderNotional,
                                                           driftThreshold: preferences.driftThreshold,
                                                           buyCostBuffer: settings.riskLimits.costBuffer))
            let plan = planner.plan(snapshot: fresh, targets: targets, instruments: instruments)

            let open = try await session.batches.list(accountHash: accountHash, statuses: [.pendingApproval, .approved, .executing, .needsReconciliation])
            if let busy = open.first(where: { $0.status == .executing || $0.status == .needsReconciliation }) {
                throw ServiceError.conflict("execution_in_progress", "batch \(busy.batchID) of this account is \(busy.status.rawValue); wait for it to finish")
            }
            // The cycle never replaces what a person approved: superseding it would turn that approval (and both
            // executions racing for it) into a refusal. The account waits for the approved batch to execute.
            if request.cycleID != nil, let approved = open.first(where: { $0.status == .approved && !($0.approvedBy ?? "").hasPrefix("auto:") }) {
                throw ServiceError.conflict("approved_batch_waiting",
                                            "batch \(approved.batchID) was approved by \(approved.approvedBy ?? "an advisor") and waits to be executed; the cycle leaves it in place")
            }

            let status: BatchStatus = requireApproval ? .pendingApproval : .approved

            let batchID = UUID().uuidString.lowercased()
            let keyPrefix = "keel-" + batchID.replacingOccurrences(of: "-", with: "").prefix(16)
            let orders = plan.orders.enumerated().map { index, order in
                BatchOrderRecord(orderID: UUID().uuidString.lowercased(), batchID: batchID, sequence: index + 1, symbol: order.symbol,
                                 side: order.side, quantity: order.quantity, referencePrice: order.referencePrice,
                                 estimatedNotional: order.estimatedNotional, currentWeight: order.currentWeight,
                                 targetWeight: order.targetWeight, clientOrderKey: "\(keyPrefix)-\(index + 1)", status: .planned, updatedAt: now)
            }
            let hash = BatchContentHash.compute(accountHash: accountHash, orders: orders)
            let notes = PlanNotes(targetWeights: targets, skippedAsDust: plan.skippedAsDust, withinDriftThreshold: plan.withinDriftThreshold,
                                  unpriced: plan.unpriced, maxPositions: preferences.maxPositions, maxWeight: preferences.maxWeight,
                                  cashBuffer: preferences.cashBuffer,
                                  goal: steering.map { PlanNotes.GoalNotes(factor: $0.factor, strategy: kind.rawValue, strategyReason: $0.strategyReason,
                                                                           conflicts: $0.conflicts, goalIDs: $0.goals.map(\.goalID)) },
                                  staleExcluded: staleExcluded.isEmpty ? nil : staleExcluded)
            var notesWithCycle = notes
            if let cycleID = request.cycleID {
                notesWithCycle.cycle = PlanNotes.CycleNotes(cycleID: cycleID, strategy: strategyName, riskFactor: factor,
                                                            reason: request.decisionReason ?? "")
            }
            // A request that would plan exactly what is already waiting, untouched and unexpired, gets that batch
            // back: concurrent duplicates of one request end with one batch, not a chain of superseded ones.
            let planNotes = try notesWithCycle.json()
            let automatic = "auto:\(principal.userID)"
            if let same = open.first(where: { waiting in
                let untouched: Bool = waiting.approvedBy == nil || waiting.approvedBy == automatic
                let unexpired: Bool = (waiting.approvalExpiresAt ?? .distantFuture) > now
                return waiting.status == status && untouched && unexpired && waiting.planNotes == planNotes
                    && Self.samePlan(waiting.orders, plan.orders)
            }) { return same }

            var batch = BatchRecord(batchID: batchID, clientID: clientID, accountHash: accountHash, portfolioID: portfolio.id,
                                    strategy: strategyName, modelVersion: modelVersion,
                                    status: status, contentHash: hash,
                                    requireApproval: requireApproval, portfolioValue: plan.portfolioValue.roundedToCents,
                                    planNotes: planNotes, createdBy: principal.userID, createdAt: now,
                                    approvalExpiresAt: now.addingTimeInterval(settings.approvalLifetime), orders: orders)
            batch.modelID = modelID
            batch.cycleID = request.cycleID
            if !requireApproval {
                batch.approvedBy = "auto:\(principal.userID)"
                batch.approvedAt = now
                batch.approvedHash = hash
            }

            for old in open {
                _ = try await session.batches.transition(old.batchID, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                    "rejected_by": "system", "rejected_at": now, "rejection_reason": "superseded by batch \(batchID)",
                ])
                try await session.audit("batch.supersede", actor: principal.userID, entityType: "batch", entityID: old.batchID,
                                        clientID: clientID, at: now, details: ["superseded_by": batchID])
            }
            do {
                try await session.batches.insert(batch)
            } catch {
                // The unique open-batch index: another writer (e.g. a second process on SQLite) got there first.
                guard case StoreError.duplicate = StoreError.translate(error) else { throw error }
                throw ServiceError.conflict("open_batch_exists", "account \(accountHash) already has an open batch; review or reject it first", field: "account_hash")
            }
            try await session.audit("batch.create", actor: principal.userID, entityType: "batch", entityID: batchID, clientID: clientID,
                                    at: now, details: ["orders": String(orders.count), "status": batch.status.rawValue,
                                                       "content_hash": hash, "model_version": modelVersion])
            return batch
        }
        await goals?.webhooks?.kick()
        return batch
    }

    static func samePlan(_ stored: [BatchOrderRecord], _ planned: [PlannedOrder]) -> Bool {
        guard stored.count == planned.count else { return false }
        return zip(stored.sorted { $0.sequence < $1.sequence }, planned).allSatisfy { order, plan in
            order.symbol == plan.symbol && order.side == plan.side && order.quantity == plan.quantity && order.referencePrice == plan.referencePrice
        }
    }
}
