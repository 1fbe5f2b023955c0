import Foundation

/// How a goal's risk factor changes a portfolio, the same way in live rebalancing and in replays.
///
/// - factor > 1: the same money goes into fewer, larger positions (max positions divided by the factor);
///   the client's maximum position weight and cash buffer still cap every weight.
/// - 0 < factor < 1: every target weight is scaled down; the rest stays in cash.
/// - factor 0: no new risk: no position may grow (a target above the current weight is cut to it); trims and
///   exits still happen.
public enum GoalRiskScaling {
    public static func constraints(_ base: PortfolioConstraints, factor: Double) -> PortfolioConstraints {
        guard factor > 1 else { return base }
        var adjusted = base
        adjusted.maxPositions = max(1, Int((Double(base.maxPositions) / factor).rounded()))
        return adjusted
    }

    /// Target weights after the factor, never above `maxWeight` and never summing above 1 - `cashBuffer`.
    public static func weights(_ targets: [String: Double], factor: Double, current: [String: Double],
                               constraints: PortfolioConstraints) -> [String: Double] {
        let factor = max(factor, 0)
        var scaled: [String: Double] = [:]
        for (symbol, weight) in targets {
            var value = min(weight, constraints.maxWeight)
            if factor == 0 {
                value = min(value, current[symbol] ?? 0)
            } else if factor < 1 {
                value *= factor
            }
            if value > 0 { scaled[symbol] = value }
        }
        let total = scaled.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value }
        let ceiling = 1 - constraints.cashBuffer
        if total > ceiling, total > 0 {
            for symbol in scaled.keys { scaled[symbol]! *= ceiling / total }
        }
        return scaled
    }
}
