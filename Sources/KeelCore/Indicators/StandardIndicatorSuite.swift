import CKeelMemory
import Synchronization

/// The six-indicator suite (SMA20, EMA20, RSI14, ATR14, BB(20,2), MACD(12,26,9)) into preallocated
/// columns: the benchmark's workload, and what a strategy evaluates on every bar of a backtest.
///
/// Same definitions and warm-up as the one-by-one functions, but fused into three passes over the data
/// (moving sums; exponential averages; Wilder averages), so the independent recurrences of each pass run
/// side by side in the CPU instead of one after another.
///
/// Over series larger than the cache the columns are written with non-temporal stores: an ordinary store reads
/// each line before writing it (write-allocate), which for ten written columns and three read ones is nearly half
/// the memory traffic. Smaller series keep ordinary stores, so the values stay in the cache for whoever reads them
/// next.
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

    public init(count: Int) {
        self.count = count
        let empty = [Double](repeating: .nan, count: count)
        (sma, ema, rsi, atr, upper, middle, lower, macd, signal, histogram) = (empty, empty, empty, empty, empty, empty, empty, empty, empty, empty)
    }

    /// Bars from which the columns are streamed past the cache: ten columns of this many doubles are 10 MB, more than
    /// a core's share of the last-level cache on the machines Keel runs on.
    public static let streamingThreshold = 1 << 17

    /// Computes all six over the series; allocates nothing.
    public mutating func compute(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>, close: UnsafeBufferPointer<Double>) {
        if count >= Self.streamingThreshold {
            compute(high: high, low: low, close: close, writer: StreamingColumnWriter.self)
            // Non-temporal stores are weakly ordered: complete them before anything (another thread) reads the columns.
            atomicMemoryFence(ordering: .sequentiallyConsistent)
        } else {
            compute(high: high, low: low, close: close, writer: CachedColumnWriter.self)
        }
    }

    /// `compute` with the store chosen by the caller (tests compare the two).
    mutating func compute<Writer: ColumnWriter>(high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                                                close: UnsafeBufferPointer<Double>, writer: Writer.Type) {
        precondition(close.count == count && high.count == count && low.count == count, "suite sized for another series")
        sma.withUnsafeMutableBufferPointer { sma in
            middle.withUnsafeMutableBufferPointer { middle in
                upper.withUnsafeMutableBufferPointer { upper in
                    lower.withUnsafeMutableBufferPointer { lower in
                        Self.movingSums(close, sma: sma, middle: middle, upper: upper, lower: lower, writer: writer)
                    }
                }
            }
        }
        ema.withUnsafeMutableBufferPointer { ema in
            macd.withUnsafeMutableBufferPointer { line in
                signal.withUnsafeMutableBufferPointer { signal in
                    histogram.withUnsafeMutableBufferPointer { histogram in
                        Self.exponentialAverages(close, ema: ema, macd: line, signal: signal, histogram: histogram, writer: writer)
                    }
                }
            }
        }
        rsi.withUnsafeMutableBufferPointer { rsi in
            atr.withUnsafeMutableBufferPointer { atr in Self.wilderAverages(high: high, low: low, close: close, rsi: rsi, atr: atr, writer: writer) }
        }
    }

    /// SMA(20) and Bollinger(20, 2) from one running sum and sum of squares.
    static func movingSums<Writer: ColumnWriter>(_ x: UnsafeBufferPointer<Double>, sma: UnsafeMutableBufferPointer<Double>,
                                                 middle: UnsafeMutableBufferPointer<Double>, upper: UnsafeMutableBufferPointer<Double>,
                                                 lower: UnsafeMutableBufferPointer<Double>, writer: Writer.Type) {
        let period = 20, n = x.count
        guard n >= period else { return }
        var sum = 0.0, squares = 0.0
        for i in 0..<(period - 1) {
            sum += x[i]
            squares += x[i] * x[i]
        }
        let inverse = 1.0 / Double(period)
        for i in (period - 1)..<n {
            let incoming = x[i]
            sum += incoming
            squares += incoming * incoming
            let mean = sum * inverse
            let variance = squares * inverse - mean * mean
            let band = variance > 0 ? variance.squareRoot() * 2 : 0
            Writer.write(mean, to: sma, at: i)
            Writer.write(mean, to: middle, at: i)
            Writer.write(mean + band, to: upper, at: i)
            Writer.write(mean - band, to: lower, at: i)
            let outgoing = x[i - period + 1]
            sum -= outgoing
            squares -= outgoing * outgoing
        }
    }

    /// EMA(20) and MACD(12, 26, 9) (TA-Lib's seeding: both MACD averages start at bar 25).
    static func exponentialAverages<Writer: ColumnWriter>(_ x: UnsafeBufferPointer<Double>, ema: UnsafeMutableBufferPointer<Double>,
                                                          macd: UnsafeMutableBufferPointer<Double>, signal: UnsafeMutableBufferPointer<Double>,
                                                          histogram: UnsafeMutableBufferPointer<Double>, writer: Writer.Type) {
        let n = x.count
        let k20 = 2.0 / 21, d20 = 1 - k20, k12 = 2.0 / 13, d12 = 1 - k12, k26 = 2.0 / 27, d26 = 1 - k26, k9 = 2.0 / 10, d9 = 1 - k9
        guard n >= 20 else { return }
        var e20 = 0.0
        for i in 0..<20 { e20 += x[i] }
        e20 /= 20
        ema[19] = e20
        var i = 20
        while i < min(n, 26) {
            e20 = e20 * d20 + x[i] * k20
            ema[i] = e20
            i += 1
        }
        guard n > 33 else {
            while i < n {
                e20 = e20 * d20 + x[i] * k20
                ema[i] = e20
                i += 1
            }
            return
        }
        var e12 = 0.0, e26 = 0.0
        for j in 14...25 { e12 += x[j] }
        for j in 0...25 { e26 += x[j] }
        e12 /= 12
        e26 /= 26
        // Bars 25...33 seed the signal with the mean of the MACD line; TA-Lib reports nothing before 33.
        var seed = e12 - e26
        i = 26
        while i <= 33 {
            let v = x[i]
            e20 = e20 * d20 + v * k20
            e12 = e12 * d12 + v * k12
            e26 = e26 * d26 + v * k26
            ema[i] = e20
            seed += e12 - e26
            i += 1
        }
        var s = seed / 9
        let line33 = e12 - e26
        macd[33] = line33
        signal[33] = s
        histogram[33] = line33 - s
        i = 34
        while i < n {
            let v = x[i]
            e20 = e20 * d20 + v * k20
            e12 = e12 * d12 + v * k12
            e26 = e26 * d26 + v * k26
            let line = e12 - e26
            s = s * d9 + line * k9
            Writer.write(e20, to: ema, at: i)
            Writer.write(line, to: macd, at: i)
            Writer.write(s, to: signal, at: i)
            Writer.write(line - s, to: histogram, at: i)
            i += 1
        }
    }

    /// RSI(14) and ATR(14): both seeded by the mean of their first 14 changes, Wilder-smoothed after.
    static func wilderAverages<Writer: ColumnWriter>(high h: UnsafeBufferPointer<Double>, low l: UnsafeBufferPointer<Double>,
                                                     close c: UnsafeBufferPointer<Double>, rsi: UnsafeMutableBufferPointer<Double>,
                                                     atr: UnsafeMutableBufferPointer<Double>, writer: Writer.Type) {
        let period = 14, n = c.count
        guard n > period else { return }
        var gain = 0.0, loss = 0.0, range = 0.0
        for i in 1...period {
            let change = c[i] - c[i - 1]
            if change < 0 { loss -= change } else { gain += change }
            range += Indicators.trueRange(h[i], l[i], c[i - 1])
        }
        let p = Double(period), decay = (p - 1) / p, weight = 1 / p
        gain /= p
        loss /= p
        range /= p
        rsi[period] = gain + loss == 0 ? 0 : 100 * gain / (gain + loss)
        atr[period] = range
        var i = period + 1
        while i < n {
            let previous = c[i - 1], close = c[i]
            let change = close - previous
            gain = gain * decay + max(change, 0) * weight
            loss = loss * decay + max(-change, 0) * weight
            range = range * decay + Indicators.trueRange(h[i], l[i], previous) * weight
            let total = gain + loss
            Writer.write(total == 0 ? 0 : 100 * gain / total, to: rsi, at: i)
            Writer.write(range, to: atr, at: i)
            i += 1
        }
    }
}
