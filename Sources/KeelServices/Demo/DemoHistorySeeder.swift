import Foundation
import KeelBrokers
import KeelCore
import KeelML
import KeelStore

/// A year of the demo account's life, so the first start looks like a book in use: on the first trading day of
/// each of the last twelve months the account is rebalanced to its model portfolio exactly as the live
/// rebalancer would have done that day (the same predictor with bars up to that day only, the same strategy,
/// constraints and planner), approved by the demo advisor and filled at the paper broker at that day's close
/// with its slippage and fees. Every fill is posted through the ledger (cash, positions, round trips), every
/// order is in the paper broker's book, so reconciliation finds the two in agreement.
struct DemoHistorySeeder: Sendable {
    let context: ServiceContext
    static let advisor = DemoDataSeeder.advisorUserID

    struct Outcome: Sendable {
        var batches: Int
        var fills: Int
    }

    /// Replays the history once: an account that already has batches or fills is left as it is. The whole replay
    /// is one transaction under the account's lock, so a second process seeding at the same moment waits, then
    /// finds the history and adds nothing.
    func seed(client: ClientRecord, account: AccountRecord, months: Int = 12) async throws -> Outcome? {
        let now = context.clock.now()
        let (preferences, portfolio, histories, instruments) = try await context.database.read { session in
            guard let preferences = try await session.preferences.find(clientID: client.clientID),
                  let portfolio = try await session.referenceData.modelPortfolio(preferences.portfolioID) else {
                throw ServiceError.notFound("the demo client's preferences")
            }
            let histories = try await session.marketBars.history(symbols: portfolio.universe, since: now.addingTimeInterval(-Double(months + 14) * 31 * 86_400))
            return (preferences, portfolio, histories, try await session.referenceData.instruments(portfolio.universe))
        }
        let days = Self.rebalanceDays(histories: histories, months: months, now: now)
        return try await context.database.write { session -> Outcome? in
            guard try await session.accounts.lock(hash: account.accountHash, in: session) != nil else { throw ServiceError.notFound("account \(account.accountHash)") }
            guard try await session.batches.list(clientID: client.clientID, accountHash: account.accountHash, status: nil, limit: 1).isEmpty,
                  try await session.ledger.fills(accountHash: account.accountHash).isEmpty else { return nil }
            guard let first = days.first else { return Outcome(batches: 0, fills: 0) }
            try await session.accounts.setOpened(hash: account.accountHash, at: first.addingTimeInterval(-86_400))
            var outcome = Outcome(batches: 0, fills: 0)
            for day in days {
                if let fills = try await rebalance(on: day, client: client, accountHash: account.accountHash, preferences: preferences, portfolio: portfolio,
                                                   histories: histories, instruments: instruments, session: session) {
                    outcome.batches += 1
                    outcome.fills += fills
                }
            }
            try await recordPerformance(client: client, accountHash: account.accountHash, strategy: portfolio.strategy.rawValue, now: now, session: session)
            return outcome
        }
    }

    /// The account's value on each past trading day, as the daily cycle records it (beside the benchmark's
    /// close), so the live record, the drawdown the risk limits watch and the autonomous page start a year back.
    private func recordPerformance(client: ClientRecord, accountHash: String, strategy: String, now: Date, session: Session) async throws {
        let benchmark = context.settings.cycle.regimeSymbol
        guard let account = try await session.accounts.find(hash: accountHash) else { return }
        let curve = try await EquityHistory.sinceInception(accounts: [account], session: session, benchmark: benchmark, now: now)
        let closes = try await session.marketBars.history(symbols: [benchmark], since: curve.first?.date ?? now).first
        var closeByDay: [String: Double] = [:]
        if let closes { for (time, close) in zip(closes.timestamps, closes.close) { closeByDay[CivilDay(time).description] = close } }
        let today = CivilDay(now).description
        var previous: (value: Double, close: Double?)?
        for point in curve where CivilDay(point.date).description < today {
            let key = CivilDay(point.date).description, close = closeByDay[key]
            let daily = previous.flatMap { $0.value > 0 ? point.value / $0.value - 1 : nil }
            let benchmarkDaily: Double? = if let close, let before = previous?.close, before > 0 { close / before - 1 } else { nil }
            try await session.performance.record(AccountPerformanceRecord(
                accountHash: accountHash, clientID: client.clientID, day: key, strategy: strategy, portfolioValue: point.value, dailyReturn: daily,
                benchmarkClose: close, benchmarkReturn: benchmarkDaily, cycleID: nil, recordedAt: point.date.addingTimeInterval(22 * 3_600)))
            previous = (point.value, close)
        }
    }

    /// The first trading day of each of the last `months` months, by the bars' own calendar.
    static func rebalanceDays(histories: [BarSeries], months: Int, now: Date) -> [Date] {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let all = Set(histories.flatMap(\.timestamps)).sorted()
        guard let start = utc.date(byAdding: .month, value: -months, to: now) else { return [] }
        var seen = Set<String>(), out: [Date] = []
        for day in all where day >= start && CivilDay(day) < CivilDay(now) {
            let components = CivilDay(day).components
            if seen.insert("\(components.year)-\(components.month)").inserted { out.append(day) }
        }
        return out
    }

    /// One month's rebalance: planned on the day's data, approved, filled at the day's close; nil when nothing
    /// needed to trade.
    private func rebalance(on day: Date, client: ClientRecord, accountHash: String, preferences: PreferencesRecord, portfolio: ModelPortfolioDefinition,
                           histories: [BarSeries], instruments: [String: Instrument], session: Session) async throws -> Int? {
        let predictor = MomentumBaselineModel()
        let forecast = predictor.predict(histories: histories, asOf: day)
        guard !forecast.isEmpty else { return nil }
        let targets = PredictedReturnStrategy(kind: portfolio.strategy, predictor: predictor).targetWeights(predictions: forecast, constraints: preferences.constraints)
        var dayCloses: [String: Decimal] = [:]
        for series in histories {
            guard let index = series.timestamps.lastIndex(where: { $0 <= day }), series.close[index].isFinite, series.close[index] > 0 else { continue }
            dayCloses[series.symbol] = Decimal(series.close[index]).rounded(scale: 4)
        }
        let closes = dayCloses
        let settings = context.settings, costs = settings.paperCosts
        // Filled after the close of the day; planned, approved and executed in the hour before.
        let filledAt = day.addingTimeInterval(21 * 3_600)
        guard let account = try await session.accounts.find(hash: accountHash) else { throw ServiceError.notFound("account \(accountHash)") }
        let positions = try await session.ledger.positions(accountHash: account.accountHash)
        let snapshot = PortfolioSnapshot(cash: account.cash, holdings: positions.map(\.holding), prices: closes)
        let planner = RebalancePlanner(settings: .init(minimumOrderNotional: settings.minimumOrderNotional.doubleValue, driftThreshold: preferences.driftThreshold,
                                                       buyCostBuffer: settings.riskLimits.costBuffer, maxWeight: preferences.maxWeight,
                                                       cashBuffer: preferences.cashBuffer))
        let plan = planner.plan(snapshot: snapshot, targets: targets, instruments: instruments)
        guard !plan.orders.isEmpty else { return nil }
        let batchID = UUID().uuidString.lowercased()
        let keyPrefix = "keel-" + batchID.replacingOccurrences(of: "-", with: "").prefix(16)
        var orders: [BatchOrderRecord] = []
        var fills: [FillRecord] = []
        for (index, planned) in plan.orders.enumerated() {
            let orderID = UUID().uuidString.lowercased(), key = "\(keyPrefix)-\(index + 1)"
            let price = costs.fillPrice(last: planned.referencePrice, side: planned.side)
            let notional = (planned.quantity * price).roundedToCents
            let commission = costs.fees(side: planned.side, notional: notional, quantity: planned.quantity, assetClass: AssetClass.inferred(fromSymbol: planned.symbol))
            let brokerOrderID = "paper-" + UUID().uuidString.lowercased()
            let fill = BrokerFill(fillID: "\(brokerOrderID)-1", clientOrderKey: key, symbol: planned.symbol, side: planned.side, quantity: planned.quantity,
                                  price: price, commission: commission, time: filledAt)
            let order = BrokerOrder(brokerOrderID: brokerOrderID, clientOrderKey: key, symbol: planned.symbol, side: planned.side, quantity: planned.quantity,
                                    status: .filled, fills: [fill], createdAt: filledAt.addingTimeInterval(-60))
            _ = try await session.paperBroker.insertIfAbsent(try DatabasePaperBrokerLedger.row(order, accountID: account.accountHash))
            orders.append(BatchOrderRecord(orderID: orderID, batchID: batchID, sequence: index + 1, symbol: planned.symbol, side: planned.side,
                                           quantity: planned.quantity, referencePrice: planned.referencePrice, estimatedNotional: planned.estimatedNotional,
                                           currentWeight: planned.currentWeight, targetWeight: planned.targetWeight, clientOrderKey: key, status: .filled,
                                           brokerOrderID: brokerOrderID, filledQuantity: planned.quantity, averageFillPrice: price, commission: commission,
                                           submittedAt: filledAt.addingTimeInterval(-60), updatedAt: filledAt))
            fills.append(FillRecord(fillID: fill.fillID, orderID: orderID, accountHash: account.accountHash, symbol: planned.symbol, side: planned.side,
                                    quantity: planned.quantity, price: price, commission: commission, filledAt: filledAt, recordedAt: filledAt))
        }
        let hash = BatchContentHash.compute(accountHash: account.accountHash, orders: orders)
        let notes = PlanNotes(targetWeights: targets, skippedAsDust: plan.skippedAsDust, withinDriftThreshold: plan.withinDriftThreshold, unpriced: plan.unpriced,
                              maxPositions: preferences.maxPositions, maxWeight: preferences.maxWeight, cashBuffer: preferences.cashBuffer, goal: nil)
        let planned = filledAt.addingTimeInterval(-3_600)
        var batch = BatchRecord(batchID: batchID, clientID: client.clientID, accountHash: account.accountHash, portfolioID: portfolio.id,
                                strategy: portfolio.strategy.rawValue, modelVersion: predictor.modelVersion, status: .executed, contentHash: hash,
                                requireApproval: true, portfolioValue: plan.portfolioValue.roundedToCents, planNotes: try notes.json(), createdBy: Self.advisor,
                                createdAt: planned, approvalExpiresAt: planned.addingTimeInterval(settings.approvalLifetime), orders: orders)
        batch.approvedBy = Self.advisor
        batch.approvedAt = planned.addingTimeInterval(1_200)
        batch.approvedHash = hash
        batch.executionMode = .paper
        batch.executedBy = Self.advisor
        batch.executionStartedAt = filledAt.addingTimeInterval(-60)
        batch.executedAt = filledAt
        batch.updatedAt = filledAt
        try await session.batches.insert(batch)
        // Sales first, as the executor sends them: their cash pays for the buys.
        for fill in fills.sorted(by: { ($0.side == .sell ? 0 : 1) < ($1.side == .sell ? 0 : 1) }) {
            try await LedgerPosting.apply(fill, account: account, userID: client.tradingUserID, strategyID: nil, session: session, now: filledAt)
        }
        for (action, at) in [("batch.create", planned), ("batch.approve", planned.addingTimeInterval(1_200)), ("batch.execute", filledAt)] {
            try await session.audit(action, actor: Self.advisor, entityType: "batch", entityID: batchID, clientID: client.clientID, at: at,
                                    details: ["orders": String(orders.count), "replayed": "demo history"])
        }
        return fills.count
    }
}
