extension Indicators {
    /// Annualised volatility: the sample standard deviation of the last `window` simple returns times
    /// sqrt(`periodsPerYear`); first value at index `window` (it needs `window` returns).
    public static func rollingVolatility(_ values: [Double], window: Int = 20, periodsPerYear: Double = 252) -> [Double] {
        map(values) { x, out in
            let n = x.count
            guard window > 1, n > window else { return }
            @inline(__always) func ret(_ i: Int) -> Double { x[i - 1] != 0 ? x[i] / x[i - 1] - 1 : 0 }
            var sum = 0.0, squares = 0.0
            for i in 1...window {
                let r = ret(i)
                sum += r
                squares += r * r
            }
            let w = Double(window)
            let scale = periodsPerYear.squareRoot()
            var i = window
            while true {
                let variance = (squares - sum * sum / w) / (w - 1)
                out[i] = variance > 0 ? variance.squareRoot() * scale : 0
                i += 1
                guard i < n else { break }
                let incoming = ret(i), outgoing = ret(i - window)
                sum += incoming - outgoing
                squares += incoming * incoming - outgoing * outgoing
            }
        }
    }

    /// How many population standard deviations the value is from its `window` mean; first value at
    /// `window - 1`; 0 when the window is flat.
    public static func rollingZScore(_ values: [Double], window: Int = 20) -> [Double] {
        map(values) { x, out in
            let n = x.count
            guard window > 1, n >= window else { return }
            var sum = 0.0, squares = 0.0
            for i in 0..<(window - 1) {
                sum += x[i]
                squares += x[i] * x[i]
            }
            let w = Double(window)
            for i in (window - 1)..<n {
                sum += x[i]
                squares += x[i] * x[i]
                let mean = sum / w
                let variance = squares / w - mean * mean
                out[i] = variance > 1e-12 * mean * mean ? (x[i] - mean) / variance.squareRoot() : 0
                let outgoing = x[i - window + 1]
                sum -= outgoing
                squares -= outgoing * outgoing
            }
        }
    }
}
