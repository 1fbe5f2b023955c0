public struct MACDValues: Sendable {
    public var macd: [Double]
    public var signal: [Double]
    public var histogram: [Double]
}

extension Indicators {
    /// MACD as TA-Lib computes it: both EMAs start where the slow one's warm-up ends (the fast EMA is
    /// seeded with the SMA of its last `fast` values there), the signal is an EMA of the MACD line, and all
    /// three outputs begin at index `slow - 1 + signal - 1`.
    public static func macd(_ values: [Double], fast: Int = 12, slow: Int = 26, signal: Int = 9) -> MACDValues {
        var result = MACDValues(macd: column(values.count), signal: column(values.count), histogram: column(values.count))
        var fastEMA = column(values.count)
        values.withUnsafeBufferPointer { x in
            result.macd.withUnsafeMutableBufferPointer { macdOut in
                result.signal.withUnsafeMutableBufferPointer { signalOut in
                    result.histogram.withUnsafeMutableBufferPointer { histogramOut in
                        fastEMA.withUnsafeMutableBufferPointer { scratch in
                            macd(x, fast: fast, slow: slow, signal: signal, scratch: scratch, macd: macdOut, signal: signalOut, histogram: histogramOut)
                        }
                    }
                }
            }
        }
        return result
    }

    /// `scratch` is a caller-owned column the size of the input, so a batch of runs allocates nothing.
    public static func macd(_ x: UnsafeBufferPointer<Double>, fast: Int, slow: Int, signal: Int, scratch: UnsafeMutableBufferPointer<Double>,
                            macd line: UnsafeMutableBufferPointer<Double>, signal signalLine: UnsafeMutableBufferPointer<Double>,
                            histogram: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        let (fastPeriod, slowPeriod) = fast <= slow ? (fast, slow) : (slow, fast)
        let start = slowPeriod - 1
        let first = start + signal - 1
        guard fastPeriod > 0, signal > 0, n > first else { return }
        // Slow EMA into `line`, fast EMA into `scratch`; then the line becomes fast - slow.
        ema(x, period: slowPeriod, seedEndingAt: start, into: line)
        ema(x, period: fastPeriod, seedEndingAt: start, into: scratch)
        var i = start
        while i < n {
            line[i] = scratch[i] - line[i]
            i += 1
        }
        var sum = 0.0
        for j in start...first { sum += line[j] }
        var previous = sum / Double(signal)
        signalLine[first] = previous
        histogram[first] = line[first] - previous
        let k = 2.0 / Double(signal + 1), decay = 1 - k
        i = first + 1
        while i < n {
            previous = previous * decay + line[i] * k
            signalLine[i] = previous
            histogram[i] = line[i] - previous
            i += 1
        }
        // TA-Lib reports the MACD line only where the signal exists.
        for j in start..<first { line[j] = .nan }
    }
}
