extension Indicators {
    /// RSI with Wilder smoothing, as TA-Lib: averages of the first `period` changes seed it; first value at
    /// index `period`.
    public static func rsi(_ values: [Double], period: Int = 14) -> [Double] {
        map(values) { rsi($0, period: period, into: $1) }
    }

    public static func rsi(_ x: UnsafeBufferPointer<Double>, period: Int, into out: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        guard period > 0, n > period else { return }
        var gain = 0.0, loss = 0.0
        for i in 1...period {
            let change = x[i] - x[i - 1]
            if change < 0 { loss -= change } else { gain += change }
        }
        let p = Double(period)
        gain /= p
        loss /= p
        out[period] = gain + loss == 0 ? 0 : 100 * gain / (gain + loss)
        // Wilder's (avg * (p - 1) + new) / p, written as avg * decay + new * weight so no division sits on
        // the dependency chain.
        let decay = (p - 1) / p, weight = 1 / p
        var i = period + 1
        while i < n {
            let change = x[i] - x[i - 1]
            gain = gain * decay + max(change, 0) * weight
            loss = loss * decay + max(-change, 0) * weight
            let total = gain + loss
            out[i] = total == 0 ? 0 : 100 * gain / total
            i += 1
        }
    }
}
