import Foundation

/// Builds target weights from signals for a strategy, inside the client's constraints.
///
/// - momentum / breakout / predicted_return: the top `maxPositions` names with a positive expected return,
///   weighted by score above the cut, then risk-scaled by 1/volatility; weak markets leave cash uninvested.
/// - balanced: the top names by score, half equal weight and half inverse volatility.
/// - low_volatility / mean_reversion: the least volatile names, inverse-volatility weighted.
/// Every result is capped at `maxWeight` (excess redistributed; what cannot be placed stays in cash) and
/// sums to at most `1 - cashBuffer`.
public struct TargetWeightBuilder: Sendable {
    public init() {}

    public func targetWeights(strategy: StrategyKind, signals: [SymbolSignal], constraints: PortfolioConstraints) -> [String: Double] {
        // One signal per symbol (the best scored), so a duplicated input can never collide in the weights.
        var seen = Set<String>()
        let eligible = signals
            .filter { !constraints.excludedSymbols.contains($0.symbol) && $0.volatility.isFinite && $0.score.isFinite }
            .sorted { ($0.score, $1.symbol) > ($1.score, $0.symbol) }
            .filter { seen.insert($0.symbol).inserted }
        guard constraints.maxPositions > 0, constraints.maxWeight > 0, !eligible.isEmpty else { return [:] }
        let n = constraints.maxPositions
        let raw: [String: Double]

        switch strategy {
        // The RL policy allocates by itself (RLPolicyStrategy); from signals alone it ranks like a predictor.
        case .momentum, .breakout, .predictedReturn, .rlPolicy:
            let chosen = Array(eligible.filter { $0.expectedReturn > 0 }.prefix(n))
            guard let weakest = chosen.last else { return [:] }
            // Score above the weakest chosen name (plus a floor so it still gets weight), per unit of risk.
            raw = Dictionary(chosen.map {
                ($0.symbol, (($0.score - weakest.score) + 0.5) / max($0.volatility, 0.01))
            }, uniquingKeysWith: { first, _ in first })
        case .balanced:
            let chosen = Array(eligible.prefix(n))
            let inverseVol = chosen.map { 1 / max($0.volatility, 0.01) }
            let inverseVolTotal = inverseVol.reduce(0, +)
            raw = Dictionary(uniqueKeysWithValues: zip(chosen, inverseVol).map { signal, iv in
                (signal.symbol, 0.5 / Double(chosen.count) + 0.5 * iv / inverseVolTotal)
            })
        case .lowVolatility, .meanReversion:
            let chosen = eligible.sorted { ($0.volatility, $0.symbol) < ($1.volatility, $1.symbol) }.prefix(n)
            raw = Dictionary(uniqueKeysWithValues: chosen.map { ($0.symbol, 1 / max($0.volatility, 0.01)) })
        }
        return Self.normalisedAndCapped(raw, total: constraints.investableFraction, cap: constraints.maxWeight)
    }

    /// Scales positive raw weights to `total`, then water-fills: names above `cap` are pinned there and their
    /// excess is shared among the rest in proportion, until none exceeds the cap.
    public static func normalisedAndCapped(_ raw: [String: Double], total: Double, cap: Double) -> [String: Double] {
        let positive = raw.filter { $0.value > 0 && $0.value.isFinite }
        guard !positive.isEmpty, total > 0 else { return [:] }
        var pinned: [String: Double] = [:]
        var free = positive
        var remaining = total
        while !free.isEmpty {
            // Summed in symbol order: a dictionary's order varies, and the same inputs must give the same bits.
            let freeSum = free.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value }
            let over = free.filter { $0.value / freeSum * remaining > cap }
            if over.isEmpty {
                for (symbol, value) in free { pinned[symbol] = value / freeSum * remaining }
                break
            }
            for symbol in over.keys {
                pinned[symbol] = cap
                free[symbol] = nil
                remaining -= cap
            }
            if remaining <= 1e-12 { break }
        }
        return pinned.filter { $0.value > 1e-9 }
    }
}
