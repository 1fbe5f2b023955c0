/// The six-indicator suite (SMA20, EMA20, RSI14, ATR14, BB(20,2), MACD(12,26,9)) into preallocated
/// columns: the benchmark's workload, and what a strategy evaluates on every bar of a backtest.
public struct StandardIndicatorSuite: ~Copyable {
    public let count: Int
    public var sma: [Double]
    public var ema: [Double]
    public var rsi: [Double]
    public var atr: [Double]
    public var upper: [Double]
    public var middle: [Double]
    public var lower: [Double]
    public var macd: [Double]
    public var signal: [Double]
    public var histogram: [Double]
    private var scratch: [Double]

    public init(count: Int) {
        self.count = count
        let empty = [Double](repeating: .nan, count: count)
        (sma, ema, rsi, atr, upper, middle, lower, macd, signal, histogram, scratch) =
            (empty, empty, empty, empty, empty, empty, empty, empty, empty, empty, empty)
    }

    /// Computes all six over the series; allocates nothing.
    public mutating func compute(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>) {
        precondition(close.count == count && high.count == count && low.count == count, "suite sized for another series")
        sma.withUnsafeMutableBufferPointer { Indicators.sma(close, period: 20, into: $0) }
        ema.withUnsafeMutableBufferPointer { Indicators.ema(close, period: 20, seedEndingAt: 19, into: $0) }
        rsi.withUnsafeMutableBufferPointer { Indicators.rsi(close, period: 14, into: $0) }
        atr.withUnsafeMutableBufferPointer { Indicators.atr(high: high, low: low, close: close, period: 14, into: $0) }
        upper.withUnsafeMutableBufferPointer { u in
            middle.withUnsafeMutableBufferPointer { m in
                lower.withUnsafeMutableBufferPointer { l in Indicators.bollinger(close, period: 20, deviations: 2, upper: u, middle: m, lower: l) }
            }
        }
        macd.withUnsafeMutableBufferPointer { line in
            signal.withUnsafeMutableBufferPointer { s in
                histogram.withUnsafeMutableBufferPointer { h in
                    scratch.withUnsafeMutableBufferPointer { Indicators.macd(close, fast: 12, slow: 26, signal: 9, scratch: $0, macd: line, signal: s, histogram: h) }
                }
            }
        }
    }
}
