extension Indicators {
    /// Simple moving average; first value at index `period - 1`.
    public static func sma(_ values: [Double], period: Int) -> [Double] {
        map(values) { sma($0, period: period, into: $1) }
    }

    public static func sma(_ x: UnsafeBufferPointer<Double>, period: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        guard period > 0, n >= period else { return }
        var sum = 0.0
        for i in 0..<period { sum += x[i] }
        let inverse = 1.0 / Double(period)
        out[period - 1] = sum * inverse
        var i = period
        while i < n {
            sum += x[i] - x[i - period]
            out[i] = sum * inverse
            i += 1
        }
    }

    /// Exponential moving average as TA-Lib defines it: seeded with the SMA of the first `period` values
    /// (first value at `period - 1`), then k = 2 / (period + 1).
    public static func ema(_ values: [Double], period: Int) -> [Double] {
        map(values) { ema($0, period: period, seedEndingAt: period - 1, into: $1) }
    }

    /// EMA whose SMA seed covers the `period` values ending at `seedEnd`; outputs from `seedEnd` on.
    /// MACD needs this: TA-Lib seeds its fast EMA where the slow one starts, not at its own warm-up.
    public static func ema(_ x: UnsafeBufferPointer<Double>, period: Int, seedEndingAt seedEnd: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        guard period > 0, seedEnd >= period - 1, seedEnd < n else { return }
        var sum = 0.0
        for i in (seedEnd - period + 1)...seedEnd { sum += x[i] }
        var previous = sum / Double(period)
        out[seedEnd] = previous
        // prev * (1 - k) + x * k: the same value as TA-Lib's prev + (x - prev) * k to ~1e-16, with a shorter
        // dependency chain (the x * k product is off the critical path).
        let k = 2.0 / Double(period + 1), decay = 1 - k
        var i = seedEnd + 1
        while i < n {
            previous = previous * decay + x[i] * k
            out[i] = previous
            i += 1
        }
    }

    /// Linearly weighted moving average (weights 1...period, newest heaviest); first value at `period - 1`.
    public static func wma(_ values: [Double], period: Int) -> [Double] {
        map(values) { x, out in
            let n = x.count
            guard period > 0, n >= period else { return }
            var weighted = 0.0, plain = 0.0
            for j in 0..<period {
                weighted += Double(j + 1) * x[j]
                plain += x[j]
            }
            let divisor = Double(period * (period + 1)) / 2
            out[period - 1] = weighted / divisor
            var i = period
            while i < n {
                weighted += Double(period) * x[i] - plain
                plain += x[i] - x[i - period]
                out[i] = weighted / divisor
                i += 1
            }
        }
    }
}
