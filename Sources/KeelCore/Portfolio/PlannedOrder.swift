import Foundation

/// One order of a rebalance plan, before it becomes a stored batch order.
public struct PlannedOrder: Sendable, Hashable, Codable {
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    /// The price the plan was made at; execution refuses a market that moved outside the collar from it.
    public var referencePrice: Decimal
    public var currentWeight: Double
    public var targetWeight: Double

    public init(symbol: String, side: OrderSide, quantity: Decimal, referencePrice: Decimal, currentWeight: Double, targetWeight: Double) {
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.referencePrice = referencePrice
        self.currentWeight = currentWeight
        self.targetWeight = targetWeight
    }

    public var estimatedNotional: Decimal { (quantity * referencePrice).roundedToCents }
}
