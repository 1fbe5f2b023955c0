import Foundation

/// Firm-wide limits every order passes before it reaches a broker.
public struct RiskLimits: Sendable, Hashable {
    /// Largest notional of a single order.
    public var maxOrderNotional: Decimal
    /// Largest relative distance between an order's planned price and the latest price.
    public var priceCollar: Double
    /// Headroom on buy notionals for slippage and commission in the cash check.
    public var costBuffer: Double

    public init(maxOrderNotional: Decimal = 250_000, priceCollar: Double = 0.05, costBuffer: Double = 0.005) {
        self.maxOrderNotional = maxOrderNotional
        self.priceCollar = priceCollar
        self.costBuffer = costBuffer
    }
}
