/// Return statistics gathered bar by bar without keeping the curve: enough for Sharpe, Sortino, volatility,
/// total return and max drawdown with the same definitions as `PerformanceMetrics`.
public struct StreamingReturnStatistics: Sendable {
    @usableFromInline var samples = 0
    public var count: Int { samples }
    @usableFromInline var previous = 0.0
    @usableFromInline var first = 0.0
    @usableFromInline var sum = 0.0
    @usableFromInline var sumOfSquares = 0.0
    @usableFromInline var downsideSquares = 0.0
    @usableFromInline var peak = -Double.infinity
    @usableFromInline var worst = 0.0
    @usableFromInline var last = 0.0

    public init() {}

    /// Divisions are what a bar costs here: the return's on every bar (a branch that skipped it for flat bars measured
    /// slower: it mispredicts at every change of position), the drawdown's only for a new worst.
    @inlinable @inline(__always)
    public mutating func add(_ equity: Double) {
        if samples == 0 {
            first = equity
        } else {
            let r = previous != 0 ? equity / previous - 1 : 0
            sum += r
            sumOfSquares += r * r
            let down = min(r, 0)
            downsideSquares += down * down
            // Peaks from the first return on, as the compounded-returns definition has it.
            peak = max(peak, equity)
            if peak <= 0 || equity < (1 + worst) * peak { worst = min(worst, equity / peak - 1) }
        }
        previous = equity
        last = equity
        samples += 1
    }

    var returns: Int { max(count - 1, 0) }

    public var totalReturn: Double { first != 0 ? last / first - 1 : .nan }
    public var sharpe: Double {
        let n = Double(returns)
        guard n > 1 else { return .nan }
        let mean = sum / n
        let variance = (sumOfSquares - n * mean * mean) / (n - 1)
        return variance > 0 ? mean / variance.squareRoot() * PerformanceMetrics.periodsPerYear.squareRoot() : .nan
    }
    public var sortino: Double {
        let n = Double(returns)
        guard n > 0 else { return .nan }
        let downside = (downsideSquares / n).squareRoot() * PerformanceMetrics.periodsPerYear.squareRoot()
        return downside > 0 ? sum / n * PerformanceMetrics.periodsPerYear / downside : .nan
    }
    /// As `PerformanceMetrics.maxDrawdown`.
    public var maxDrawdown: Double { worst }
}
