/// Return statistics gathered bar by bar without keeping the curve: enough for Sharpe, Sortino, volatility,
/// total return and max drawdown with the same definitions as `PerformanceMetrics`.
///
/// The returns are taken four bars at a time in vector registers: a return is a division, and four divisions in one
/// instruction (with four running sums beside them) cost about what one did on its own, which is most of what a bar
/// of a sweep costs. The peak and drawdown stay bar by bar (a compare; the drawdown divides only for a new worst).
public struct StreamingReturnStatistics: Sendable {
    @usableFromInline var samples = 0
    public var count: Int { samples }
    /// The value before the first of those waiting.
    @usableFromInline var previous = 0.0
    @usableFromInline var first = 0.0
    @usableFromInline var sums = SIMD4<Double>()
    @usableFromInline var squares = SIMD4<Double>()
    @usableFromInline var downside = SIMD4<Double>()
    /// Up to three values whose returns are not yet summed.
    @usableFromInline var waiting = SIMD4<Double>()
    @usableFromInline var waitingCount = 0
    @usableFromInline var peak = -Double.infinity
    @usableFromInline var worst = 0.0
    @usableFromInline var last = 0.0

    public init() {}

    @inlinable @inline(__always)
    public mutating func add(_ equity: Double) {
        if samples == 0 {
            first = equity
            previous = equity
        } else {
            // Peaks from the first return on, as the compounded-returns definition has it.
            peak = max(peak, equity)
            if peak <= 0 || equity < (1 + worst) * peak { worst = min(worst, equity / peak - 1) }
            waiting[waitingCount] = equity
            waitingCount += 1
            if waitingCount == 4 {
                let before = SIMD4(previous, waiting[0], waiting[1], waiting[2])
                var r = waiting / before - 1
                r.replace(with: 0, where: before .== 0)
                sums += r
                squares += r * r
                let down = pointwiseMin(r, SIMD4(repeating: 0))
                downside += down * down
                previous = waiting[3]
                waitingCount = 0
            }
        }
        last = equity
        samples += 1
    }

    /// The sums with the waiting returns added (one at a time, as `add` would have).
    @usableFromInline
    var totals: (sum: Double, squares: Double, downside: Double) {
        var sum = sums.sum(), squared = squares.sum(), down = downside.sum()
        var before = previous
        for i in 0..<waitingCount {
            let r = before != 0 ? waiting[i] / before - 1 : 0
            sum += r
            squared += r * r
            down += min(r, 0) * min(r, 0)
            before = waiting[i]
        }
        return (sum, squared, down)
    }

    var returns: Int { max(count - 1, 0) }

    public var totalReturn: Double { first != 0 ? last / first - 1 : .nan }
    public var sharpe: Double {
        let n = Double(returns)
        guard n > 1 else { return .nan }
        let totals = totals
        let mean = totals.sum / n
        let variance = (totals.squares - n * mean * mean) / (n - 1)
        return variance > 0 ? mean / variance.squareRoot() * PerformanceMetrics.periodsPerYear.squareRoot() : .nan
    }
    public var sortino: Double {
        let n = Double(returns)
        guard n > 0 else { return .nan }
        let totals = totals
        let downside = (totals.downside / n).squareRoot() * PerformanceMetrics.periodsPerYear.squareRoot()
        return downside > 0 ? totals.sum / n * PerformanceMetrics.periodsPerYear / downside : .nan
    }
    /// As `PerformanceMetrics.maxDrawdown`.
    public var maxDrawdown: Double { worst }
}
