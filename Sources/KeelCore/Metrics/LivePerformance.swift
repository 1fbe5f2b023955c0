import Foundation

/// An account's live record over a window of days, against its benchmark: what the cycle judges a running
/// strategy by. Non-finite values (too few days) are nil.
public struct LivePerformance: Sendable, Hashable, Codable {
    public var days: Int
    public var totalReturn: Double
    public var benchmarkReturn: Double?
    /// Strategy minus benchmark over the window.
    public var excessReturn: Double?
    public var sharpe: Double?
    public var volatility: Double?
    public var maxDrawdown: Double
    /// The t-statistic of the daily returns over the benchmark's: mean / (sd / sqrt(days)). Nil without a
    /// benchmark or with fewer than 2 days.
    public var excessTStatistic: Double?
    /// The annualised information ratio: mean / sd of the daily excess returns times sqrt(252).
    public var informationRatio: Double?

    /// `returns[i]` and `benchmark[i]` are the same day; a day without a benchmark return counts as 0 for it.
    public init(returns: [Double], benchmark: [Double?]) {
        days = returns.count
        maxDrawdown = PerformanceMetrics.maxDrawdown(returns)
        totalReturn = PerformanceMetrics.totalReturn(returns)
        let bench = benchmark.map { $0 ?? 0 }
        let hasBenchmark = benchmark.contains { $0 != nil }
        let benchmarkTotal: Double? = hasBenchmark ? PerformanceMetrics.totalReturn(bench) : nil
        benchmarkReturn = benchmarkTotal
        let total = totalReturn
        excessReturn = benchmarkTotal.map { total - $0 }
        let sharpe = PerformanceMetrics.sharpe(returns)
        self.sharpe = sharpe.isFinite ? sharpe : nil
        let volatility = returns.count > 1 ? PerformanceMetrics.annualVolatility(returns) : .nan
        self.volatility = volatility.isFinite ? volatility : nil
        let excess = zip(returns, bench).map { $0 - $1 }
        if hasBenchmark, excess.count >= 2 {
            let mean = excess.reduce(0, +) / Double(excess.count)
            let sd = (excess.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(excess.count - 1)).squareRoot()
            excessTStatistic = sd > 0 ? mean / (sd / Double(excess.count).squareRoot()) : 0
            informationRatio = sd > 0 ? mean / sd * 252.0.squareRoot() : 0
        } else {
            excessTStatistic = nil
            informationRatio = nil
        }
    }
}
