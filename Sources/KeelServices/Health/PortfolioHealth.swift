import Foundation
import KeelStore

public struct PositionHealth: Sendable, Hashable {
    public var symbol: String
    public var quantity: Decimal
    public var averageCost: Decimal
    public var price: Decimal?
    public var marketValue: Decimal
    public var weight: Double
    public var targetWeight: Double?
    public var drift: Double?
    public var unrealisedPnL: Decimal
}

public struct AccountHealth: Sendable {
    public var account: AccountRecord
    public var cash: Decimal
    public var totalValue: Decimal
    public var positions: [PositionHealth]
}

public struct PortfolioHealth: Sendable {
    public var clientID: Int
    public var asOf: Date
    public var totalValue: Decimal
    public var cash: Decimal
    public var investedValue: Decimal
    public var unrealisedPnL: Decimal
    public var realisedPnL: Decimal
    public var positions: [PositionHealth]
    public var accounts: [AccountHealth]
    public var maxDrift: Double?
    public var driftThreshold: Double
    public var needsRebalance: Bool
    /// Annualised volatility of the holdings' value over the trailing window (current weights on past prices).
    public var trailingVolatility: Double?
    public var lastBatch: BatchRecord?
}
