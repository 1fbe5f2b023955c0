import Foundation

/// Turns target weights and current holdings into orders: whole shares for equities, lots for crypto,
/// no dust, sells before buys, and never more buying than the cash the plan will have. The arithmetic is
/// `RebalanceKernel`'s; this is the decimal ledger's door to it.
public struct RebalancePlanner: Sendable {
    /// The kernel's rules: minimum order notional, drift threshold, cost buffer, maximum weight and cash buffer.
    public typealias Settings = RebalanceKernel.Settings

    public struct Plan: Sendable {
        public var orders: [PlannedOrder]
        /// Symbols whose change was too small to trade.
        public var skippedAsDust: [String]
        /// Symbols within the drift threshold of their target.
        public var withinDriftThreshold: [String]
        /// Symbols that have a target or a holding but no price, so could not be planned.
        public var unpriced: [String]
        public var portfolioValue: Decimal
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// One account's plan: its names become one row of `RebalanceKernel`, and the row's lots exact decimals again.
    public func plan(snapshot: PortfolioSnapshot, targets: [String: Double], instruments: [String: Instrument]) -> Plan {
        let total = snapshot.totalValue
        let symbols = Set(targets.keys.filter { (targets[$0] ?? 0) > 0 }).union(snapshot.holdings.keys.filter { snapshot.quantity(of: $0) > 0 }).sorted()
        let increments = symbols.map { symbol in
            instruments[symbol]?.quantityIncrement ?? Instrument(symbol: symbol, assetClass: .inferred(fromSymbol: symbol), name: symbol).quantityIncrement
        }
        let prices = symbols.map { snapshot.prices[$0].map { $0 > 0 ? $0 : 0 } ?? 0 }
        // What the row does not price (holdings without a price at their cost, short or empty positions) still counts.
        let rowValue = zip(symbols, prices).reduce(Decimal(0)) { $0 + snapshot.quantity(of: $1.0) * $1.1 }
        let book = RebalanceKernel.Book(accounts: 1, assets: symbols.count, quantities: symbols.map { snapshot.quantity(of: $0).doubleValue },
                                        cash: [snapshot.cash.doubleValue], otherValue: [(total - snapshot.cash - rowValue).doubleValue],
                                        prices: prices.map(\.doubleValue), increments: increments.map(\.doubleValue),
                                        targets: symbols.map { targets[$0] ?? 0 })
        let row = RebalanceKernel.plan(book, settings: settings)
        var sells: [PlannedOrder] = [], buys: [PlannedOrder] = []
        var dust: [String] = [], withinThreshold: [String] = [], unpriced: [String] = []
        for (j, symbol) in symbols.enumerated() {
            switch row.outcomes[j] {
            case .none: continue
            case .dust: dust.append(symbol)
            case .withinDriftThreshold: withinThreshold.append(symbol)
            case .unpriced: unpriced.append(symbol)
            case .order:
                let signed = row.quantities[j], held = snapshot.quantity(of: symbol)
                let targetWeight = max(targets[symbol] ?? 0, 0)
                // An exit sells the exact holding; any other order is a whole number of lots (a trim never more than held).
                let lots = Decimal(exactly: (abs(signed) / increments[j].doubleValue).rounded(), significantDigits: 15) * increments[j]
                let quantity = signed > 0 ? lots : (targetWeight == 0 ? held : min(lots, held))
                let currentWeight = total > 0 ? (held * prices[j] / total).doubleValue : 0
                let order = PlannedOrder(symbol: symbol, side: signed < 0 ? .sell : .buy, quantity: quantity, referencePrice: prices[j],
                                         currentWeight: currentWeight, targetWeight: targetWeight)
                if order.side == .sell { sells.append(order) } else { buys.append(order) }
            }
        }
        return Plan(orders: sells + buys, skippedAsDust: dust.sorted(), withinDriftThreshold: withinThreshold,
                    unpriced: unpriced, portfolioValue: total)
    }
}
