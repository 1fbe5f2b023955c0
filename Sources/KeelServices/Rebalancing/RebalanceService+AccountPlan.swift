import Foundation
import KeelCore
import KeelML
import KeelStore

/// One account's plan from its books, in named steps: targets (strategy or RL policy, goal scaling), stale
/// names held, the orders, the open-batch rules, and the batch (or the identical one already waiting). Pure: it
/// reads nothing and writes nothing.
extension RebalanceService {
    enum Planned {
        /// An identical batch already waits: it is the answer.
        case existing(BatchRecord)
        /// A new batch, the open ones it supersedes, and its harvests (new ones, and those it swaps back).
        case new(BatchRecord, supersedes: [BatchRecord], harvests: HarvestWrites)
    }

    /// What a batch does to tax-loss harvests: the harvests its sales make, the ones in force it swaps back.
    struct HarvestWrites: Sendable {
        var new: [TaxHarvestRecord] = []
        var swappedBack: [String] = []
    }

    /// The prices a plan sees: the account's holdings and `pricing` more symbols.
    typealias Snapshot = (_ pricing: [String]) -> (PortfolioSnapshot, [String: LatestPrice])

    /// What the strategy (or the deployed RL policy) wants, and which model and strategy name planned it.
    struct Targets {
        var weights: [String: Double]
        var modelID: String?
        var modelVersion: String
        var strategyName: String
        var kind: StrategyKind
        var factor: Double
    }

    static func plan(_ account: Admitted, steering: GoalSteering?, policy: ActivePredictor.ResolvedPolicy?, resolved: ActivePredictor.Resolved,
                     snapshot: Snapshot, instruments allInstruments: [String: Instrument], open: [BatchRecord], tax: TaxPlanning.Account? = nil,
                     principal: Principal, settings: ServiceSettings, now: Date) throws -> Planned {
        var targets = try targets(account, steering: steering, policy: policy, resolved: resolved, snapshot: snapshot)
        let substitutes = tax?.harvesting.map { Array($0.settings.substitutes.values) } ?? []
        let (current, latest) = snapshot(Array(targets.weights.keys) + substitutes)
        if targets.factor != 1 {
            let weights = Dictionary(uniqueKeysWithValues: current.holdings.keys.map { ($0, current.weight(of: $0)) })
            targets.weights = GoalRiskScaling.weights(targets.weights, factor: targets.factor, current: weights, constraints: account.preferences.constraints)
        }
        var fresh = current
        fresh.prices = current.prices.filter { symbol, _ in
            guard let stamp = latest[symbol]?.timestamp else { return false }
            return now.timeIntervalSince(stamp) <= settings.maximumPriceAge
        }
        let instrumentSymbols = Set(targets.weights.keys).union(current.holdings.keys)
        let instruments = allInstruments.filter { instrumentSymbols.contains($0.key) }
        let staleExcluded = holdStaleNames(&targets.weights, current: current, latest: latest, instruments: instruments, settings: settings, now: now)
        // A taxable account: the tax rules adjust the targets before the orders are planned.
        var taxSettings = tax?.settings
        taxSettings?.allowWashSales = account.request.allowWashSales
        taxSettings?.maxWeight = account.preferences.maxWeight
        var taxAdjustments: [String: String] = [:]
        // The tax rules, and for clients who harvest: a harvest in force keeps its substitute in place on any plan;
        // the cycle's plans also harvest new losses and swap substitutes back.
        var taxPlan: TaxPlan.Result?
        if let tax, let taxSettings {
            let inForce = (tax.harvesting?.inForce ?? []).map {
                TaxLossHarvesting.InForce(original: $0.symbol, substitute: $0.substitute, harvestedOn: $0.harvestedOn)
            }
            let planned = TaxPlan.targets(targets.weights, snapshot: fresh, book: tax.book, on: CivilDay(now), settings: taxSettings,
                                          harvesting: tax.harvesting?.settings, inForce: inForce, harvestNew: account.request.cycleID != nil)
            targets.weights = planned.targets
            taxAdjustments = planned.reasons
            taxPlan = planned
        }
        let planner = RebalancePlanner(settings: .init(minimumOrderNotional: settings.minimumOrderNotional.doubleValue,
                                                       driftThreshold: account.preferences.driftThreshold,
                                                       buyCostBuffer: settings.riskLimits.costBuffer,
                                                       maxWeight: account.preferences.maxWeight, cashBuffer: account.preferences.cashBuffer))
        var plan = planner.plan(snapshot: fresh, targets: targets.weights,
                                instruments: allInstruments.filter { instrumentSymbols.contains($0.key) || targets.weights[$0.key] != nil })
        if let harvests = taxPlan?.harvests, !harvests.isEmpty {
            plan.orders = TaxPlan.sellingHarvestsInFull(plan.orders, harvests: harvests, snapshot: fresh, targets: targets.weights)
        }
        taxSettings?.chosenLots = taxPlan?.chosenLots ?? [:]
        let taxNotes = tax.flatMap { tax in taxSettings.map { settings in
            PlanNotes.TaxNotes(lotMethod: settings.method.name, shortTermRate: settings.rates.shortTerm, longTermRate: settings.rates.longTerm,
                               estimates: TaxAwareRebalance.estimates(plan.orders, book: tax.book, on: CivilDay(now), settings: settings),
                               adjustments: taxAdjustments, washSalesAllowed: settings.allowWashSales)
        } }
        try checkOpenBatches(open, request: account.request)
        let planned = try batch(account, plan: plan, targets: targets, steering: steering, staleExcluded: staleExcluded, taxNotes: taxNotes,
                                lotInstructions: taxSettings?.chosenLots ?? [:], open: open,
                                principal: principal, settings: settings, now: now)
        guard case .new(let batch, let supersedes, _) = planned, let taxPlan, let inForce = tax?.harvesting?.inForce else { return planned }
        return .new(batch, supersedes: supersedes, harvests: harvestWrites(taxPlan, inForce: inForce, batch: batch, now: now))
    }

    /// The harvests a new batch makes (a harvest whose name the plan did not sell, e.g. within the drift threshold,
    /// is not one) and the harvests in force whose substitute it sells back.
    static func harvestWrites(_ harvesting: TaxPlan.Result, inForce: [TaxHarvestRecord], batch: BatchRecord, now: Date) -> HarvestWrites {
        var writes = HarvestWrites()
        let sales = Dictionary(batch.orders.filter { $0.side == .sell }.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        for harvest in harvesting.harvests {
            guard let sale = sales[harvest.symbol], harvest.quantity > 0 else { continue }
            let quantity = min(sale.quantity, harvest.quantity)
            let share = quantity / harvest.quantity
            writes.new.append(TaxHarvestRecord(harvestID: UUID().uuidString.lowercased(), clientID: batch.clientID, accountHash: batch.accountHash,
                                               batchID: batch.batchID, saleOrderID: sale.orderID, symbol: harvest.symbol, substitute: harvest.substitute,
                                               lotIDs: harvest.lotIDs, quantity: quantity, estimatedLoss: (harvest.loss * share).roundedToCents,
                                               estimatedTaxSaved: (harvest.taxSaved * share).roundedToCents, harvestedOn: CivilDay(now)))
        }
        let goingBack = Set(harvesting.swapBacks.map(\.substitute)).filter { sales[$0] != nil }
        writes.swappedBack = inForce.filter { goingBack.contains($0.substitute) }.map(\.harvestID)
        return writes
    }

    /// The target weights: the deployed RL policy's for an account that follows it (the account's holdings are part
    /// of its observation), else the strategy's from the forecast, under the preferences scaled by the goal factor.
    static func targets(_ account: Admitted, steering: GoalSteering?, policy: ActivePredictor.ResolvedPolicy?, resolved: ActivePredictor.Resolved,
                        snapshot: Snapshot) throws -> Targets {
        let request = account.request, portfolio = account.portfolio
        let kind = request.strategy ?? steering?.strategy ?? portfolio.strategy
        let factor = request.riskFactor ?? steering?.factor ?? 1
        // The same strategy objects the backtester replays.
        let constraints = GoalRiskScaling.constraints(account.preferences.constraints, factor: factor)
        guard account.usesPolicy else {
            let weights = PredictedReturnStrategy(kind: kind, predictor: resolved.predictor).targetWeights(predictions: account.forecast, constraints: constraints)
            return Targets(weights: weights, modelID: resolved.modelID, modelVersion: resolved.predictor.modelVersion, strategyName: kind.rawValue,
                           kind: kind, factor: factor)
        }
        guard let policy else {
            throw ServiceError.conflict("no_rl_policy_deployed", "model portfolio \(portfolio.name) rebalances to the deployed RL policy, and none is deployed: train one (POST /api/rl/train) and deploy it", field: "portfolio_id")
        }
        let market = AlignedMarket(account.histories)
        guard market.count > 0 else { throw ServiceError(.unavailable, code: "no_market_data", message: "no price history for \(portfolio.name)") }
        let (holdings, _) = snapshot([])
        var strategy = policy.strategy
        strategy.currentWeights = Dictionary(uniqueKeysWithValues: holdings.holdings.keys.map { ($0, holdings.weight(of: $0)) })
        return Targets(weights: strategy.targetWeights(market.view(at: market.count - 1), constraints: constraints), modelID: policy.modelID,
                       modelVersion: policy.version, strategyName: StrategyKind.rlPolicy.rawValue, kind: kind, factor: factor)
    }

    /// Stale data never buys: a name whose last bar is not from the latest completed session keeps at most what
    /// the account holds of it. Returns why each such name was held back.
    static func holdStaleNames(_ targets: inout [String: Double], current: PortfolioSnapshot, latest: [String: LatestPrice],
                               instruments: [String: Instrument], settings: ServiceSettings, now: Date) -> [String: String] {
        var staleExcluded: [String: String] = [:]
        for (symbol, weight) in targets {
            let assetClass = instruments[symbol]?.assetClass ?? .inferred(fromSymbol: symbol)
            guard let reason = settings.priceFreshness.staleness(lastBar: latest[symbol]?.timestamp, asOf: now, assetClass: assetClass) else { continue }
            let held = current.weight(of: symbol)
            guard weight > held else { continue }
            targets[symbol] = held
            staleExcluded[symbol] = reason + ": no new buys"
        }
        return staleExcluded
    }

    /// A batch at the broker blocks a new plan; the cycle never replaces what a person approved (superseding it
    /// would turn that approval, and both executions racing for it, into a refusal): the account waits for it.
    static func checkOpenBatches(_ open: [BatchRecord], request: RebalanceRequest) throws {
        if let busy = open.first(where: { BatchStatus.inFlight.contains($0.status) }) {
            throw ServiceError.conflict("execution_in_progress", "batch \(busy.batchID) of this account is \(busy.status.rawValue); wait for it to finish")
        }
        if request.cycleID != nil, let approved = open.first(where: { $0.status == .approved && !($0.approvedBy ?? "").hasPrefix("auto:") }) {
            throw ServiceError.conflict("approved_batch_waiting",
                                        "batch \(approved.batchID) was approved by \(approved.approvedBy ?? "an advisor") and waits to be executed; the cycle leaves it in place")
        }
    }

    /// The batch of the plan's orders with its notes and content hash, approved at once when the client needs no
    /// approval; or the identical batch already waiting, untouched and unexpired (concurrent duplicates of one
    /// request end with one batch, not a chain of superseded ones).
    static func batch(_ account: Admitted, plan: RebalancePlanner.Plan, targets: Targets, steering: GoalSteering?, staleExcluded: [String: String],
                      taxNotes: PlanNotes.TaxNotes?, lotInstructions: [String: [String]], open: [BatchRecord], principal: Principal, settings: ServiceSettings, now: Date) throws -> Planned {
        let request = account.request, preferences = account.preferences
        let requireApproval = account.requireApproval
        let status: BatchStatus = requireApproval ? .pendingApproval : .approved
        let batchID = UUID().uuidString.lowercased()
        let keyPrefix = "keel-" + batchID.replacingOccurrences(of: "-", with: "").prefix(16)
        let orders = plan.orders.enumerated().map { index, order in
            BatchOrderRecord(orderID: UUID().uuidString.lowercased(), batchID: batchID, sequence: index + 1, symbol: order.symbol,
                             side: order.side, quantity: order.quantity, referencePrice: order.referencePrice,
                             estimatedNotional: order.estimatedNotional, currentWeight: order.currentWeight,
                             targetWeight: order.targetWeight, clientOrderKey: "\(keyPrefix)-\(index + 1)", status: .planned, updatedAt: now,
                             lotIDs: order.side == .sell ? lotInstructions[order.symbol] : nil)
        }
        let hash = BatchContentHash.compute(accountHash: account.accountHash, orders: orders)
        var notes = PlanNotes(targetWeights: targets.weights, skippedAsDust: plan.skippedAsDust, withinDriftThreshold: plan.withinDriftThreshold,
                              unpriced: plan.unpriced, maxPositions: preferences.maxPositions, maxWeight: preferences.maxWeight,
                              cashBuffer: preferences.cashBuffer,
                              goal: steering.map { PlanNotes.GoalNotes(factor: $0.factor, strategy: targets.kind.rawValue, strategyReason: $0.strategyReason,
                                                                       conflicts: $0.conflicts, goalIDs: $0.goals.map(\.goalID)) },
                              staleExcluded: staleExcluded.isEmpty ? nil : staleExcluded)
        notes.tax = taxNotes
        if let cycleID = request.cycleID {
            notes.cycle = PlanNotes.CycleNotes(cycleID: cycleID, strategy: targets.strategyName, riskFactor: targets.factor, reason: request.decisionReason ?? "")
        }
        let planNotes = try notes.json()
        let automatic = "auto:\(principal.userID)"
        if let same = open.first(where: { waiting in
            let untouched: Bool = waiting.approvedBy == nil || waiting.approvedBy == automatic
            let unexpired: Bool = (waiting.approvalExpiresAt ?? .distantFuture) > now
            return waiting.status == status && untouched && unexpired && waiting.planNotes == planNotes
                && Self.samePlan(waiting.orders, plan.orders)
        }) { return .existing(same) }

        var batch = BatchRecord(batchID: batchID, clientID: account.clientID, accountHash: account.accountHash, portfolioID: account.portfolio.id,
                                strategy: targets.strategyName, modelVersion: targets.modelVersion,
                                status: status, contentHash: hash,
                                requireApproval: requireApproval, portfolioValue: plan.portfolioValue.roundedToCents,
                                planNotes: planNotes, createdBy: principal.userID, createdAt: now,
                                approvalExpiresAt: now.addingTimeInterval(settings.approvalLifetime), orders: orders)
        batch.modelID = targets.modelID
        batch.cycleID = request.cycleID
        if !requireApproval {
            batch.approvedBy = automatic
            batch.approvedAt = now
            batch.approvedHash = hash
        }
        return .new(batch, supersedes: open, harvests: HarvestWrites())
    }
}
