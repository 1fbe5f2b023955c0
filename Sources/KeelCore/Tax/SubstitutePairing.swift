import Foundation

/// A substitute for harvesting chosen from the market itself, as direct-indexing managers do when no pair list is
/// given: the name whose daily returns moved most with the harvested one's over the trailing window (point in
/// time: only bars up to `t`). Correlated is not identical: two companies are different securities.
public enum SubstitutePairing {
    /// The most correlated of `candidates` with `symbol` over the `window` bars ending at `t` (log returns; pairs
    /// with fewer than `minimumOverlap` returns both defined are skipped); nil when none qualifies.
    public static func mostCorrelated(_ symbol: Int, among candidates: [Int], market: AlignedMarket, at t: Int, window: Int = 252,
                                      minimumOverlap: Int = 60) -> Int? {
        guard symbol >= 0, symbol < market.symbols.count, t > 0, t < market.count else { return nil }
        let start = max(1, t - window + 1)
        let base = market.close[symbol]
        var best: (index: Int, correlation: Double)?
        for candidate in candidates where candidate != symbol && candidate >= 0 && candidate < market.symbols.count {
            let other = market.close[candidate]
            var count = 0.0, sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumYY = 0.0, sumXY = 0.0
            for i in start...t {
                let x0 = base[i - 1], x1 = base[i], y0 = other[i - 1], y1 = other[i]
                guard x0 > 0, x1 > 0, y0 > 0, y1 > 0 else { continue }
                let x = log(x1 / x0), y = log(y1 / y0)
                guard x.isFinite, y.isFinite else { continue }
                count += 1
                sumX += x; sumY += y; sumXX += x * x; sumYY += y * y; sumXY += x * y
            }
            guard count >= Double(minimumOverlap) else { continue }
            let covariance = sumXY - sumX * sumY / count
            let varianceX = sumXX - sumX * sumX / count, varianceY = sumYY - sumY * sumY / count
            guard varianceX > 0, varianceY > 0 else { continue }
            let correlation = covariance / (varianceX * varianceY).squareRoot()
            guard correlation.isFinite else { continue }
            if best == nil || correlation > best!.correlation { best = (candidate, correlation) }
        }
        return best?.index
    }
}
