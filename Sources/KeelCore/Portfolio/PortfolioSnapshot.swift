import Foundation

/// Cash, holdings and the prices to value them at: everything valuation, drift and planning need.
public struct PortfolioSnapshot: Sendable {
    public var cash: Decimal
    public var holdings: [String: Holding]
    public var prices: [String: Decimal]

    public init(cash: Decimal, holdings: [Holding], prices: [String: Decimal]) {
        self.cash = cash
        self.holdings = Dictionary(holdings.map { ($0.symbol, $0) }, uniquingKeysWith: { a, b in
            Holding(symbol: a.symbol, quantity: a.quantity + b.quantity, averageCost: a.averageCost)
        })
        self.prices = prices
    }

    public func quantity(of symbol: String) -> Decimal { holdings[symbol]?.quantity ?? 0 }

    /// Market value of one holding; a holding without a price is valued at its average cost, so it never
    /// silently vanishes from the total.
    public func marketValue(of symbol: String) -> Decimal {
        guard let holding = holdings[symbol] else { return 0 }
        let price = prices[symbol] ?? holding.averageCost
        return holding.quantity * price
    }

    public var investedValue: Decimal { holdings.keys.reduce(Decimal(0)) { $0 + marketValue(of: $1) } }
    public var totalValue: Decimal { cash + investedValue }

    public func weight(of symbol: String) -> Double {
        let total = totalValue
        guard total > 0 else { return 0 }
        return (marketValue(of: symbol) / total).doubleValue
    }

    public var symbolsWithoutPrice: [String] { holdings.keys.filter { prices[$0] == nil }.sorted() }
}
