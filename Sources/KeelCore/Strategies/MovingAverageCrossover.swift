/// Long (a fixed quantity) while the fast moving average is above the slow one, flat otherwise. Running
/// sums make each bar O(1). With `exponential`, EMAs (SMA-seeded, TA-Lib style) replace the SMAs.
public struct MovingAverageCrossover: SignalStrategy, Sendable {
    public let fast: Int
    public let slow: Int
    public let quantity: Double
    public let exponential: Bool
    @usableFromInline var fastSum = 0.0, slowSum = 0.0
    @usableFromInline var fastEMA = 0.0, slowEMA = 0.0
    /// The periods as the divisors of the means, converted once rather than on every bar.
    @usableFromInline let lengths: SIMD2<Double>

    public static let maximumPeriod = 100_000

    public init(fast: Int, slow: Int, quantity: Double, exponential: Bool = false) {
        // Callers validate (0 < fast < slow, with ranges); the engine still clamps, so no input can trap it.
        let fast = min(max(fast, 1), Self.maximumPeriod - 1)
        self.fast = fast
        self.slow = min(max(slow, fast + 1), Self.maximumPeriod)
        self.quantity = quantity
        self.exponential = exponential
        lengths = SIMD2(Double(self.fast), Double(self.slow))
    }

    @inlinable @inline(__always)
    public mutating func decide(_ bars: BarWindow) -> SignalDecision {
        let t = bars.current
        let c = bars.close(t)
        fastSum += c
        slowSum += c
        // fast and slow are at least 1 (the initialiser clamps them), so the lagged reads are inside the window.
        // Past the warm-up (every bar but the first `slow`) one test of the bar against the periods, not the warm-up's
        // four: the periods are run-time values in a general call or a sweep, where those tests cost a tenth of a bar.
        if t >= slow {
            fastSum -= bars.close(lagging: fast)
            slowSum -= bars.close(lagging: slow)
            if exponential {
                slowEMA += (c - slowEMA) * 2 / Double(slow + 1)
                fastEMA += (c - fastEMA) * 2 / Double(fast + 1)
            }
            return signal
        }
        // The warm-up: the fast window fills first (its mean seeds the fast EMA), then the slow one (likewise).
        if t >= fast { fastSum -= bars.close(lagging: fast) }
        if t == fast - 1 { fastEMA = fastSum / Double(fast) }
        if t >= fast { fastEMA += (c - fastEMA) * 2 / Double(fast + 1) }
        guard t == slow - 1 else { return .hold }
        slowEMA = slowSum / Double(slow)
        return signal
    }

    /// Long while the fast average is above the slow one.
    @inlinable @inline(__always)
    var signal: SignalDecision {
        if exponential { return .target(fastEMA > slowEMA ? quantity : 0) }
        // Divide as the reference loop does, so near-ties resolve identically; both means in one vector division
        // (each lane is the same IEEE quotient), since the dividers' throughput bounds this loop.
        let means = SIMD2(fastSum, slowSum) / lengths
        return .target(means.x > means.y ? quantity : 0)
    }
}
