/// The client's hard limits on a portfolio; every target-weight set obeys them.
public struct PortfolioConstraints: Sendable, Hashable {
    public var maxPositions: Int
    public var maxWeight: Double
    public var cashBuffer: Double
    public var excludedSymbols: Set<String>

    public init(maxPositions: Int, maxWeight: Double, cashBuffer: Double, excludedSymbols: Set<String> = []) {
        self.maxPositions = maxPositions
        self.maxWeight = maxWeight
        self.cashBuffer = cashBuffer
        self.excludedSymbols = excludedSymbols
    }

    /// The share of the portfolio that may be invested.
    public var investableFraction: Double { max(0, 1 - cashBuffer) }
}
