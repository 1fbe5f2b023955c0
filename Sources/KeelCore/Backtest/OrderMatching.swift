/// The kinds of orders a strategy can send, and how a bar fills them.
public enum BacktestOrderType: Sendable, Hashable, Codable {
    case market
    /// Buy at or below / sell at or above the price.
    case limit(Double)
    /// Becomes a market order once the price trades through the stop.
    case stop(Double)

    /// The reference price at which an order of this type (signed quantity) fills in a bar, or nil when the
    /// bar does not reach it. Market orders fill at `reference` (the open or close the timing picks).
    @inlinable @inline(__always)
    public func fillPrice(quantity: Double, reference: Double, open: Double, high: Double, low: Double) -> Double? {
        switch self {
        case .market:
            return reference
        case .limit(let limit):
            if quantity > 0 { return low <= limit ? min(open, limit) : nil }
            return high >= limit ? max(open, limit) : nil
        case .stop(let stop):
            if quantity > 0 { return high >= stop ? max(open, stop) : nil }
            return low <= stop ? min(open, stop) : nil
        }
    }
}
