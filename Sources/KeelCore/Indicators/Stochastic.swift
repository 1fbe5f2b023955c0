public struct StochasticValues: Sendable {
    public var k: [Double]
    public var d: [Double]
}

extension Indicators {
    /// Slow stochastic as TA-Lib's STOCH with SMA smoothing: fast %K over `fastK` bars, %K its `slowK` SMA,
    /// %D the `slowD` SMA of %K; both start at `fastK - 1 + slowK - 1 + slowD - 1`.
    public static func stochastic(high: [Double], low: [Double], close: [Double], fastK: Int = 14, slowK: Int = 3, slowD: Int = 3) -> StochasticValues {
        let n = close.count
        var result = StochasticValues(k: column(n), d: column(n))
        let first = fastK - 1 + slowK - 1 + slowD - 1
        guard fastK > 0, slowK > 0, slowD > 0, n > first else { return result }
        var fast = column(n)
        for i in (fastK - 1)..<n {
            var highest = -Double.infinity, lowest = Double.infinity
            for j in (i - fastK + 1)...i {
                highest = max(highest, high[j])
                lowest = min(lowest, low[j])
            }
            let range = highest - lowest
            fast[i] = range > 0 ? 100 * (close[i] - lowest) / range : 0
        }
        let slow = smaFrom(fast, start: fastK - 1, period: slowK)
        let signal = smaFrom(slow, start: fastK - 1 + slowK - 1, period: slowD)
        for i in first..<n {
            result.k[i] = slow[i]
            result.d[i] = signal[i]
        }
        return result
    }

    /// SMA of a column whose values begin at `start` (NaN before it).
    static func smaFrom(_ values: [Double], start: Int, period: Int) -> [Double] {
        var out = column(values.count)
        guard values.count >= start + period else { return out }
        var sum = 0.0
        for i in start..<(start + period) { sum += values[i] }
        out[start + period - 1] = sum / Double(period)
        for i in (start + period)..<values.count {
            sum += values[i] - values[i - period]
            out[i] = sum / Double(period)
        }
        return out
    }
}
