import Foundation

/// A position as the ledger sees it: quantity and average cost, both exact decimals.
public struct Holding: Sendable, Hashable, Codable {
    public var symbol: String
    public var quantity: Decimal
    public var averageCost: Decimal

    public init(symbol: String, quantity: Decimal, averageCost: Decimal) {
        self.symbol = symbol
        self.quantity = quantity
        self.averageCost = averageCost
    }
}
