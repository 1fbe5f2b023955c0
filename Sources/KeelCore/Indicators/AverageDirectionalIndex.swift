extension Indicators {
    /// ADX as TA-Lib: Wilder-smoothed +DM, -DM and TR over `period`, DX averaged over `period` for the
    /// first value (index `2 * period - 1`), Wilder smoothing after.
    public static func adx(high: [Double], low: [Double], close: [Double], period: Int = 14) -> [Double] {
        var out = column(close.count)
        let n = close.count
        guard period > 1, n >= 2 * period else { return out }
        high.withUnsafeBufferPointer { h in
            low.withUnsafeBufferPointer { l in
                close.withUnsafeBufferPointer { c in
                    out.withUnsafeMutableBufferPointer { out in
                        let p = Double(period)
                        var plusDM = 0.0, minusDM = 0.0, tr = 0.0
                        @inline(__always) func directional(_ i: Int) -> (plus: Double, minus: Double) {
                            let up = h[i] - h[i - 1], down = l[i - 1] - l[i]
                            if down > 0 && up < down { return (0, down) }
                            if up > 0 && up > down { return (up, 0) }
                            return (0, 0)
                        }
                        @inline(__always) func dx() -> Double? {
                            guard tr != 0 else { return nil }
                            let plusDI = 100 * plusDM / tr, minusDI = 100 * minusDM / tr
                            let total = plusDI + minusDI
                            return total == 0 ? 0 : 100 * abs(minusDI - plusDI) / total
                        }
                        for i in 1..<period {
                            let dm = directional(i)
                            plusDM += dm.plus
                            minusDM += dm.minus
                            tr += trueRange(h[i], l[i], c[i - 1])
                        }
                        var sumDX = 0.0
                        for i in period..<(2 * period) {
                            let dm = directional(i)
                            plusDM += dm.plus - plusDM / p
                            minusDM += dm.minus - minusDM / p
                            tr += trueRange(h[i], l[i], c[i - 1]) - tr / p
                            sumDX += dx() ?? 0
                        }
                        var value = sumDX / p
                        out[2 * period - 1] = value
                        var i = 2 * period
                        while i < n {
                            let dm = directional(i)
                            plusDM += dm.plus - plusDM / p
                            minusDM += dm.minus - minusDM / p
                            tr += trueRange(h[i], l[i], c[i - 1]) - tr / p
                            if let dx = dx() { value = (value * (p - 1) + dx) / p }
                            out[i] = value
                            i += 1
                        }
                    }
                }
            }
        }
        return out
    }
}
