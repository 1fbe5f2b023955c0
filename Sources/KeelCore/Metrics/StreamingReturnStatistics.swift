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
            Self.drawdown(equity, peak: &peak, worst: &worst)
        }
        previous = equity
        last = equity
        samples += 1
    }

    /// The running peak and the worst fall from it.
    @inlinable @inline(__always)
    static func drawdown(_ equity: Double, peak: inout Double, worst: inout Double) {
        // `max(peak, equity)`, NaN included (a NaN equity keeps the peak), in the form that is one maximum instruction:
        // `max`'s form is a compare and three masks, five cycles on the peak's chain every bar. The two differ only in
        // which zero a tie of +0 and -0 keeps, and a zero peak counts as ruin either way.
        peak = equity > peak ? equity : peak
        if peak <= 0 || equity < (1 + worst) * peak { worst = min(worst, equity / peak - 1) }
    }

    /// `add` for each value in turn, over a chunk a run's loop has buffered. The loop then keeps none of these sums
    /// in its registers (with them it ran out, and spilled and reloaded them every bar), and here the returns are
    /// taken two bars to a vector division and summed in two lanes: the same figures to rounding (the sums' order
    /// differs; the tests hold them to 1e-9 of the one-by-one ones).
    @usableFromInline @inline(never)
    mutating func add(contentsOf values: UnsafeBufferPointer<Double>) {
        guard let firstValue = values.first else { return }
        var start = 0
        if samples == 0 {
            add(firstValue)
            start = 1
        }
        var previous = self.previous, peak = self.peak, worst = self.worst
        var sums = SIMD2<Double>.zero, squares = SIMD2<Double>.zero, downside = SIMD2<Double>.zero
        var i = start
        while i + 1 < values.count {
            let pair = SIMD2(values[i], values[i + 1]), before = SIMD2(previous, values[i])
            let r = (pair / before - 1).replacing(with: 0, where: before .== 0)
            sums += r
            squares += r * r
            let down = pointwiseMin(r, .zero)
            downside += down * down
            Self.drawdown(pair.x, peak: &peak, worst: &worst)
            Self.drawdown(pair.y, peak: &peak, worst: &worst)
            previous = pair.y
            i += 2
        }
        sum += sums.x + sums.y
        sumOfSquares += squares.x + squares.y
        downsideSquares += downside.x + downside.y
        self.previous = previous
        self.peak = peak
        self.worst = worst
        let paired = i - start
        samples += paired
        if paired > 0 { last = previous }
        if i < values.count { add(values[i]) }
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
