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
        guard let planned = try await rebalance([request], by: principal)[accountHash] else {
            throw ServiceError.notFound("account \(accountHash) of client \(clientID)", field: "account_hash")
        }
        return try planned.get()
    }

    /// Rebalances many accounts (the cycle's chunk): live (Schwab) accounts' books are brought up to date from the
    /// broker first, then every account is planned in one transaction. A sync that fails is that account's answer.
    func rebalance(_ requests: [RebalanceRequest], by principal: Principal) async throws -> [String: Result<BatchRecord, any Error>] {
        try principal.ensureStaff()
        var failed: [String: Result<BatchRecord, any Error>] = [:]
        var planning = requests
        if let accountSync {
            let hashes = requests.compactMap(\.accountHash)
            let accounts = try await context.database.read { try await $0.accounts.find(hashes: hashes) }
            planning = []
            for request in requests {
                if let hash = request.accountHash, let account = accounts[hash], account.clientID == request.clientID,
                   account.brokerage.code == "schwab", account.status == .active {
                    do { try await accountSync.sync(account) } catch {
                        failed[hash] = .failure(error)
                        continue
                    }
                }
                planning.append(request)
            }
        }
        return try await plan(planning, by: principal).merging(failed) { planned, _ in planned }
    }

    /// Plans many accounts' batches in one transaction (the cycle's chunk, or one request): the books read with one
    /// query per kind, each plan made by the same pure code, the batches, their orders and the audit entries written
    /// with multi-row statements. An account whose books refuse a plan (inactive, halted, busy, no data) gets that
    /// error as its answer; the others get their batch. Artifact refusals are alerted once the transaction has ended.
    func plan(_ requests: [RebalanceRequest], by principal: Principal) async throws -> [String: Result<BatchRecord, any Error>] {
        let now = context.clock.now()
        let settings = context.settings
        let active = self.active
        let planned: [String: Result<BatchRecord, any Error>]
        do {
            planned = try await context.database.write { session in
                try await Self.plan(requests, principal: principal, session: session, active: active, settings: settings, now: now)
            }
        } catch {
            await active.raiseRefusalAlerts()
            throw error
        }
        await active.raiseRefusalAlerts()
        if planned.values.contains(where: { (try? $0.get()) != nil }) { await goals?.webhooks?.kick() }
        return planned
    }

    /// One account admitted to planning: its books passed the checks a plan needs.
    private struct Admitted: Sendable {
        var request: RebalanceRequest
        var client: ClientRecord
        var account: AccountRecord
        var preferences: PreferencesRecord
        var requireApproval: Bool
        var portfolio: ModelPortfolioDefinition
        var symbols: [String]
        /// The universe's bars and the forecast made from them (set once they are read).
        var histories: [BarSeries] = []
        var forecast: [ReturnPrediction] = []
        var accountHash: String { account.accountHash }
        var clientID: Int { client.clientID }
        /// Planned by the deployed RL policy rather than from the forecast.
        var usesPolicy: Bool { request.strategy == .rlPolicy || (request.strategy == nil && portfolio.strategy == .rlPolicy) }
    }

    private static func plan(_ requests: [RebalanceRequest], principal: Principal, session: Session, active: ActivePredictor,
                             settings: ServiceSettings, now: Date) async throws -> [String: Result<BatchRecord, any Error>] {
        let keyed = requests.compactMap { request -> (request: RebalanceRequest, clientID: Int, accountHash: String)? in
            guard let clientID = request.clientID, let accountHash = request.accountHash, !accountHash.isEmpty else { return nil }
            return (request, clientID, accountHash)
        }
        let hashes = keyed.map(\.accountHash), clientIDs = keyed.map(\.clientID)
        let clients = try await session.clients.find(ids: clientIDs)
        // The accounts' row locks serialise every planner, executor and ledger posting of these accounts: the
        // open-batch checks below and the inserts cannot interleave with another request's.
        let accounts = try await session.accounts.lock(hashes: hashes, in: session)
        let allPreferences = try await session.preferences.find(clientIDs: clientIDs)
        let portfolios = Dictionary(try await session.referenceData.modelPortfolios().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })

        var answers: [String: Result<BatchRecord, any Error>] = [:]
        var admitted: [Admitted] = []
        for (request, clientID, accountHash) in keyed {
            do {
                guard let client = clients[clientID] else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
                guard client.status == .active else {
                    throw ServiceError.conflict("client_inactive", "client \(clientID) is deactivated", field: "client_id")
                }
                guard let account = accounts[accountHash], account.clientID == clientID else {
                    throw ServiceError.notFound("account \(accountHash) of client \(clientID)", field: "account_hash")
                }
                guard account.status == .active else {
                    throw ServiceError.conflict("account_unavailable", "account \(accountHash) is \(account.status.rawValue); reconnect it before rebalancing", field: "account_hash")
                }
                if let reason = account.haltedReason {
                    throw ServiceError.conflict("account_halted", "account \(accountHash) is halted: \(reason); resolve the reconciliation first", field: "account_hash")
                }
                guard var preferences = allPreferences[clientID] else { throw ServiceError.notFound("preferences of client \(clientID)") }
                if let maxPositions = request.maxPositions { preferences.maxPositions = maxPositions }
                if let portfolioID = request.portfolioID { preferences.portfolioID = portfolioID }
                guard let portfolio = portfolios[preferences.portfolioID] else { throw PredictionService.noPortfolio(preferences.portfolioID) }
                admitted.append(Admitted(request: request, client: client, account: account, preferences: preferences,
                                         requireApproval: request.requireApproval ?? preferences.requireApproval, portfolio: portfolio,
                                         symbols: PredictionService.universe(portfolio, preferences: preferences)))
            } catch {
                answers[accountHash] = .failure(error)
            }
        }
        guard !admitted.isEmpty else { return answers }

        let admittedHashes = admitted.map(\.accountHash)
        let resolved = try await active.resolve(session: session)
        let predictor = resolved.predictor
        let since = now.addingTimeInterval(-400 * 86_400)
        var withData: [Admitted] = []
        for var account in admitted {
            let request = account.request, symbols = account.symbols
            let histories = if let shared = request.histories { try await shared(symbols, since, session) } else {
                try await session.marketBars.history(symbols: symbols, since: since)
            }
            let forecast = await request.forecasts?(resolved.modelID, symbols) { predictor.predict(histories: histories, asOf: now) }
                ?? predictor.predict(histories: histories, asOf: now)
            guard !forecast.isEmpty else {
                answers[account.accountHash] = .failure(ServiceError(.unavailable, code: "no_market_data",
                                                                     message: "not enough price history to plan a rebalance for \(account.portfolio.name)"))
                continue
            }
            account.histories = histories
            account.forecast = forecast
            withData.append(account)
        }
        guard !withData.isEmpty else { return answers }

        // Goals steer the batches: re-measured now (each goal once, however many of these accounts it touches), then
        // each account's combined factor and chosen strategy family.
        let steered = withData.filter { $0.request.useGoals ?? true }
        var steeringGoals: [GoalRecord] = []
        if !steered.isEmpty {
            let touching = steered.map { ($0.accountHash, $0.clientID, $0.client.tradingUserID) }
            let open = try await session.goals.goals(touchingAny: touching, statuses: [.active, .atRisk])
            try await GoalEvaluator(settings: settings).reevaluate(open.map(\.goalID), trigger: "rebalance", session: session, now: now)
            steeringGoals = try await session.goals.goals(touchingAny: touching, statuses: [.active, .atRisk, .achieved, .failed])
        }
        let positions = try await session.ledger.positions(accountHashes: admittedHashes)
        let held = Set(positions.values.joined().map(\.symbol))
        let universe = held.union(withData.flatMap(\.symbols))
        let latest = try await session.marketBars.latestPrices(symbols: universe.sorted())
        let allInstruments = try await session.referenceData.instruments(universe.sorted())
        let openBatches = try await session.batches.list(accountHashes: withData.map(\.accountHash),
                                                         statuses: BatchStatus.open)
        let policy = withData.contains(where: \.usesPolicy) ? try await active.resolvePolicy(session: session) : nil
        var batches: [BatchRecord] = []
        var superseded: [(old: BatchRecord, by: String)] = []
        for account in withData {
            do {
                let steering = (account.request.useGoals ?? true)
                    ? GoalSteering.forAccount(account.account, userID: account.client.tradingUserID, among: steeringGoals, now: now) : nil
                let accountPositions = positions[account.accountHash] ?? []
                func snapshot(pricing extra: [String]) -> (PortfolioSnapshot, [String: LatestPrice]) {
                    let priced = Set(accountPositions.map(\.symbol)).union(extra)
                    let prices = latest.filter { priced.contains($0.key) }
                    return (PortfolioSnapshot(cash: account.account.cash, holdings: accountPositions.map(\.holding),
                                              prices: prices.mapValues { Decimal(exactly: $0.close) }), prices)
                }
                let outcome = try plan(account, steering: steering, policy: policy, resolved: resolved, snapshot: snapshot, instruments: allInstruments,
                                       open: openBatches[account.accountHash] ?? [], principal: principal, settings: settings, now: now)
                switch outcome {
                case .existing(let batch):
                    answers[account.accountHash] = .success(batch)
                case .new(let batch, let supersedes):
                    batches.append(batch)
                    superseded += supersedes.map { ($0, batch.batchID) }
                    answers[account.accountHash] = .success(batch)
                }
            } catch {
                answers[account.accountHash] = .failure(error)
            }
        }

        var audits: [AuditEntry] = []
        for (old, newID) in superseded {
            _ = try await session.batches.transition(old.batchID, from: [.pendingApproval, .approved], to: .rejected, at: now, setting: [
                "rejected_by": "system", "rejected_at": now, "rejection_reason": "superseded by batch \(newID)",
            ])
            audits.append(AuditEntry(at: now, actor: principal.userID, action: "batch.supersede", entityType: "batch", entityID: old.batchID,
                                     clientID: old.clientID, details: try StoredJSON.encode(["superseded_by": newID])))
        }
        do {
            try await session.batches.insert(batches)
        } catch {
            // The unique open-batch index: another writer (e.g. a second process on SQLite) got there first.
            guard case StoreError.duplicate = StoreError.translate(error), batches.count == 1, let only = batches.first else { throw error }
            throw ServiceError.conflict("open_batch_exists", "account \(only.accountHash) already has an open batch; review or reject it first", field: "account_hash")
        }
        for batch in batches {
            audits.append(AuditEntry(at: now, actor: principal.userID, action: "batch.create", entityType: "batch", entityID: batch.batchID,
                                     clientID: batch.clientID, details: try StoredJSON.encode([
                                        "orders": String(batch.orders.count), "status": batch.status.rawValue, "content_hash": batch.contentHash,
                                        "model_version": batch.modelVersion])))
        }
        try await session.operations.append(audits)
        return answers
    }

    private enum Planned {
        /// An identical batch already waits: it is the answer.
        case existing(BatchRecord)
        /// A new batch, and the open ones it supersedes.
        case new(BatchRecord, supersedes: [BatchRecord])
    }

    /// One account's plan from its books: strategy and targets, goal scaling, stale-data rule, orders, the open-batch
    /// rules. Pure: it reads nothing and writes nothing.
    private static func plan(_ account: Admitted, steering: GoalSteering?, policy: ActivePredictor.ResolvedPolicy?, resolved: ActivePredictor.Resolved,
                             snapshot: (_ pricing: [String]) -> (PortfolioSnapshot, [String: LatestPrice]), instruments allInstruments: [String: Instrument],
                             open: [BatchRecord], principal: Principal, settings: ServiceSettings, now: Date) throws -> Planned {
        let request = account.request, preferences = account.preferences, portfolio = account.portfolio
        let accountHash = account.accountHash, clientID = account.clientID
        let kind = request.strategy ?? steering?.strategy ?? portfolio.strategy
        let factor = request.riskFactor ?? steering?.factor ?? 1
        // The same strategy objects the backtester replays.
        let constraints = GoalRiskScaling.constraints(preferences.constraints, factor: factor)
        var targets: [String: Double]
        var modelID = resolved.modelID, modelVersion = resolved.predictor.modelVersion, strategyName = kind.rawValue
        if account.usesPolicy {
            guard let policy else {
                throw ServiceError.conflict("no_rl_policy_deployed", "model portfolio \(portfolio.name) rebalances to the deployed RL policy, and none is deployed: train one (POST /api/rl/train) and deploy it", field: "portfolio_id")
            }
            let market = AlignedMarket(account.histories)
            guard market.count > 0 else { throw ServiceError(.unavailable, code: "no_market_data", message: "no price history for \(portfolio.name)") }
            // The account is part of the observation: the policy sees what the account holds now.
            let (holdings, _) = snapshot([])
            var strategy = policy.strategy
            strategy.currentWeights = Dictionary(uniqueKeysWithValues: holdings.holdings.keys.map { ($0, holdings.weight(of: $0)) })
            targets = strategy.targetWeights(market.view(at: market.count - 1), constraints: constraints)
            modelID = policy.modelID
            modelVersion = policy.version
            strategyName = StrategyKind.rlPolicy.rawValue
        } else {
            targets = PredictedReturnStrategy(kind: kind, predictor: resolved.predictor).targetWeights(predictions: account.forecast, constraints: constraints)
        }

        let (current, latest) = snapshot(Array(targets.keys))
        if factor != 1 {
            let weights = Dictionary(uniqueKeysWithValues: current.holdings.keys.map { ($0, current.weight(of: $0)) })
            targets = GoalRiskScaling.weights(targets, factor: factor, current: weights, constraints: preferences.constraints)
        }
        var fresh = current
        fresh.prices = current.prices.filter { symbol, _ in
            guard let stamp = latest[symbol]?.timestamp else { return false }
            return now.timeIntervalSince(stamp) <= settings.maximumPriceAge
        }
        let instrumentSymbols = Set(targets.keys).union(current.holdings.keys)
        let instruments = allInstruments.filter { instrumentSymbols.contains($0.key) }
        // Stale data never buys: a name whose last bar is not from the latest completed session keeps at most
        // what the account holds of it.
        var staleExcluded: [String: String] = [:]
        for (symbol, weight) in targets {
            let assetClass = instruments[symbol]?.assetClass ?? .inferred(fromSymbol: symbol)
            guard let reason = settings.priceFreshness.staleness(lastBar: latest[symbol]?.timestamp, asOf: now, assetClass: assetClass) else { continue }
            let held = current.weight(of: symbol)
            guard weight > held else { continue }
            targets[symbol] = held
            staleExcluded[symbol] = reason + ": no new buys"
        }
        let planner = RebalancePlanner(settings: .init(minimumOrderNotional: settings.minimumOrderNotional,
                                                       driftThreshold: preferences.driftThreshold,
                                                       buyCostBuffer: settings.riskLimits.costBuffer))
        let plan = planner.plan(snapshot: fresh, targets: targets, instruments: instruments)

        if let busy = open.first(where: { BatchStatus.inFlight.contains($0.status) }) {
            throw ServiceError.conflict("execution_in_progress", "batch \(busy.batchID) of this account is \(busy.status.rawValue); wait for it to finish")
        }
        // The cycle never replaces what a person approved: superseding it would turn that approval (and both
        // executions racing for it) into a refusal. The account waits for the approved batch to execute.
        if request.cycleID != nil, let approved = open.first(where: { $0.status == .approved && !($0.approvedBy ?? "").hasPrefix("auto:") }) {
            throw ServiceError.conflict("approved_batch_waiting",
                                        "batch \(approved.batchID) was approved by \(approved.approvedBy ?? "an advisor") and waits to be executed; the cycle leaves it in place")
        }

        let requireApproval = account.requireApproval
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
        var notes = PlanNotes(targetWeights: targets, skippedAsDust: plan.skippedAsDust, withinDriftThreshold: plan.withinDriftThreshold,
                              unpriced: plan.unpriced, maxPositions: preferences.maxPositions, maxWeight: preferences.maxWeight,
                              cashBuffer: preferences.cashBuffer,
                              goal: steering.map { PlanNotes.GoalNotes(factor: $0.factor, strategy: kind.rawValue, strategyReason: $0.strategyReason,
                                                                       conflicts: $0.conflicts, goalIDs: $0.goals.map(\.goalID)) },
                              staleExcluded: staleExcluded.isEmpty ? nil : staleExcluded)
        if let cycleID = request.cycleID {
            notes.cycle = PlanNotes.CycleNotes(cycleID: cycleID, strategy: strategyName, riskFactor: factor, reason: request.decisionReason ?? "")
        }
        // A request that would plan exactly what is already waiting, untouched and unexpired, gets that batch
        // back: concurrent duplicates of one request end with one batch, not a chain of superseded ones.
        let planNotes = try notes.json()
        let automatic = "auto:\(principal.userID)"
        if let same = open.first(where: { waiting in
            let untouched: Bool = waiting.approvedBy == nil || waiting.approvedBy == automatic
            let unexpired: Bool = (waiting.approvalExpiresAt ?? .distantFuture) > now
            return waiting.status == status && untouched && unexpired && waiting.planNotes == planNotes
                && Self.samePlan(waiting.orders, plan.orders)
        }) { return .existing(same) }

        var batch = BatchRecord(batchID: batchID, clientID: clientID, accountHash: accountHash, portfolioID: portfolio.id,
                                strategy: strategyName, modelVersion: modelVersion,
                                status: status, contentHash: hash,
                                requireApproval: requireApproval, portfolioValue: plan.portfolioValue.roundedToCents,
                                planNotes: planNotes, createdBy: principal.userID, createdAt: now,
                                approvalExpiresAt: now.addingTimeInterval(settings.approvalLifetime), orders: orders)
        batch.modelID = modelID
        batch.cycleID = request.cycleID
        if !requireApproval {
            batch.approvedBy = automatic
            batch.approvedAt = now
            batch.approvedHash = hash
        }
        return .new(batch, supersedes: open)
    }

    static func samePlan(_ stored: [BatchOrderRecord], _ planned: [PlannedOrder]) -> Bool {
        guard stored.count == planned.count else { return false }
        return zip(stored.sorted { $0.sequence < $1.sequence }, planned).allSatisfy { order, plan in
            order.symbol == plan.symbol && order.side == plan.side && order.quantity == plan.quantity && order.referencePrice == plan.referencePrice
        }
    }
}
