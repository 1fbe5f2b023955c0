extension Indicators {
    /// On-balance volume as TA-Lib: starts at the first bar's volume, then adds volume on up closes and
    /// subtracts it on down closes.
    public static func obv(close: [Double], volume: [Double]) -> [Double] {
        var out = column(close.count)
        guard !close.isEmpty else { return out }
        var total = volume[0]
        out[0] = total
        for i in 1..<close.count {
            if close[i] > close[i - 1] { total += volume[i] } else if close[i] < close[i - 1] { total -= volume[i] }
            out[i] = total
        }
        return out
    }
}
