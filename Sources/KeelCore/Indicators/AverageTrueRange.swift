extension Indicators {
    /// True range of bar `i` (needs the previous close; undefined for the first bar).
    @inline(__always)
    static func trueRange(_ high: Double, _ low: Double, _ previousClose: Double) -> Double {
        // max(high - low, |high - previous|, |low - previous|), NaN included, as TA-Lib writes it: each candidate
        // replaces the greatest only when greater, which is one maximum instruction (`max`'s form is four).
        var greatest = high - low
        let fromHigh = abs(high - previousClose), fromLow = abs(low - previousClose)
        greatest = fromHigh > greatest ? fromHigh : greatest
        return fromLow > greatest ? fromLow : greatest
    }

    /// ATR with Wilder smoothing, as TA-Lib: the first value (index `period`) is the mean of the first
    /// `period` true ranges.
    public static func atr(high: [Double], low: [Double], close: [Double], period: Int = 14) -> [Double] {
        var out = column(close.count)
        high.withUnsafeBufferPointer { h in
            low.withUnsafeBufferPointer { l in
                close.withUnsafeBufferPointer { c in
                    out.withUnsafeMutableBufferPointer { atr(high: h, low: l, close: c, period: period, into: $0) }
                }
            }
        }
        return out
    }

    public static func atr(high h: UnsafeBufferPointer<Double>, low l: UnsafeBufferPointer<Double>, close c: UnsafeBufferPointer<Double>,
                           period: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let n = c.count
        guard period > 0, n > period else { return }
        var sum = 0.0
        for i in 1...period { sum += trueRange(h[i], l[i], c[i - 1]) }
        let p = Double(period)
        var value = sum / p
        out[period] = value
        let decay = (p - 1) / p, weight = 1 / p
        var i = period + 1
        while i < n {
            value = value * decay + trueRange(h[i], l[i], c[i - 1]) * weight
            out[i] = value
            i += 1
        }
    }
}
