import Foundation
import KeelCore
import KeelStore

/// A client's portfolio as it stands: value, cash, positions with weight, target and drift, P&L,
/// the last batch, and the trailing volatility of the current holdings.
public struct PortfolioHealthService: Sendable {
    let context: ServiceContext
    /// Trading days of history the volatility is measured over.
    public let volatilityWindow = 63

    public init(context: ServiceContext) {
        self.context = context
    }

    public func health(clientID: Int, by principal: Principal) async throws -> PortfolioHealth {
        try principal.ensureAccess(toClient: clientID)
        let now = context.clock.now()
        // Recomputed when anything is written (a bar, a fill, a batch, a preference) or after a few seconds.
        return try await context.readCache.value(.portfolioHealth(clientID: clientID), maxAge: Self.cachedReadLifetime,
                                                 database: context.database, now: now) {
            try await compute(clientID: clientID, now: now)
        }
    }

    /// How long a computed health may be reused while nothing is written.
    static let cachedReadLifetime: TimeInterval = 5

    func compute(clientID: Int, now: Date) async throws -> PortfolioHealth {
        let window = volatilityWindow
        return try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            let preferences = try await session.preferences.find(clientID: clientID)
            let accounts = try await session.accounts.list(clientID: clientID)
            let recent = try await session.batches.list(clientID: clientID, status: nil, limit: 20)
            let lastBatch = recent.first
            let targetSource = recent.first { ![.rejected, .expired, .failed].contains($0.status) }
            let targets = targetSource.flatMap { PlanNotes.decode($0.planNotes)?.targetWeights } ?? [:]

            var accountHealth: [AccountHealth] = []
            var holdings: [String: Holding] = [:]
            var prices: [String: Decimal] = [:]
            var cash: Decimal = 0
            var realised: Decimal = 0
            for account in accounts {
                let (snapshot, _) = try await PortfolioState.snapshot(account: account, extraSymbols: [], session: session)
                prices.merge(snapshot.prices) { a, _ in a }
                cash += snapshot.cash
                for holding in snapshot.holdings.values {
                    let merged = holdings[holding.symbol]
                    let quantity = (merged?.quantity ?? 0) + holding.quantity
                    let cost = (merged.map { $0.quantity * $0.averageCost } ?? 0) + holding.quantity * holding.averageCost
                    holdings[holding.symbol] = Holding(symbol: holding.symbol, quantity: quantity, averageCost: quantity > 0 ? cost / quantity : 0)
                }
                accountHealth.append(AccountHealth(account: account, cash: snapshot.cash, totalValue: snapshot.totalValue.roundedToCents,
                                                   positions: Self.positions(snapshot, targets: [:])))
                realised += try await session.ledger.trades(accountHash: account.accountHash)
                    .filter { $0.status == .closed }.reduce(Decimal(0)) { $0 + ($1.profitLoss ?? 0) }
            }
            let total = PortfolioSnapshot(cash: cash, holdings: Array(holdings.values), prices: prices)
            let positions = Self.positions(total, targets: targets)
            let maxDrift = positions.compactMap { $0.drift.map(abs) }.max()
            let threshold = preferences?.driftThreshold ?? 0.03
            let volatility = try await Self.trailingVolatility(total, window: window, session: session, now: now)
            return PortfolioHealth(clientID: clientID, asOf: now, totalValue: total.totalValue.roundedToCents, cash: cash.roundedToCents,
                                   investedValue: total.investedValue.roundedToCents,
                                   unrealisedPnL: positions.reduce(Decimal(0)) { $0 + $1.unrealisedPnL }.roundedToCents,
                                   realisedPnL: realised.roundedToCents, positions: positions, accounts: accountHealth,
                                   maxDrift: maxDrift, driftThreshold: threshold, needsRebalance: (maxDrift ?? 0) >= threshold && !targets.isEmpty,
                                   trailingVolatility: volatility, lastBatch: lastBatch)
        }
    }

    static func positions(_ snapshot: PortfolioSnapshot, targets: [String: Double]) -> [PositionHealth] {
        snapshot.holdings.values.sorted { $0.symbol < $1.symbol }.map { holding in
            let value = snapshot.marketValue(of: holding.symbol)
            let weight = snapshot.weight(of: holding.symbol)
            let target = targets.isEmpty ? nil : targets[holding.symbol] ?? 0
            return PositionHealth(symbol: holding.symbol, quantity: holding.quantity, averageCost: holding.averageCost,
                                  price: snapshot.prices[holding.symbol], marketValue: value.roundedToCents, weight: weight,
                                  targetWeight: target, drift: target.map { weight - $0 },
                                  unrealisedPnL: (value - holding.quantity * holding.averageCost).roundedToCents)
        }
    }

    /// Values today's holdings (and cash) over the last `window` days of closes and measures that series' volatility.
    static func trailingVolatility(_ snapshot: PortfolioSnapshot, window: Int, session: Session, now: Date) async throws -> Double? {
        let symbols = snapshot.holdings.keys.sorted()
        guard !symbols.isEmpty else { return snapshot.totalValue > 0 ? 0 : nil }
        let histories = try await session.marketBars.history(symbols: symbols, since: now.addingTimeInterval(-Double(window) * 1.6 * 86_400))
        // Align on the days every symbol traded, so weekend-trading crypto does not distort equity days.
        var closesByDay: [Date: [String: Double]] = [:]
        for series in histories {
            for i in 0..<series.count { closesByDay[series.timestamps[i], default: [:]][series.symbol] = series.close[i] }
        }
        let cash = snapshot.cash.doubleValue
        let quantities = snapshot.holdings.mapValues { $0.quantity.doubleValue }
        let values = closesByDay.keys.sorted().compactMap { day -> Double? in
            guard let closes = closesByDay[day], closes.count == symbols.count else { return nil }
            return cash + symbols.reduce(0) { $0 + (quantities[$1] ?? 0) * (closes[$1] ?? 0) }
        }
        return ReturnStatistics.trailingVolatility(Array(values.suffix(window + 1)), window: window, periodsPerYear: 252)
    }
}
