import Foundation

public struct BollingerBands: Sendable {
    public var upper: [Double]
    public var middle: [Double]
    public var lower: [Double]
}

extension Indicators {
    /// Bollinger Bands as TA-Lib's BBANDS with an SMA middle: bands at `deviations` population standard
    /// deviations; first value at `period - 1`.
    public static func bollinger(_ values: [Double], period: Int = 20, deviations: Double = 2) -> BollingerBands {
        var bands = BollingerBands(upper: column(values.count), middle: column(values.count), lower: column(values.count))
        values.withUnsafeBufferPointer { x in
            bands.upper.withUnsafeMutableBufferPointer { upper in
                bands.middle.withUnsafeMutableBufferPointer { middle in
                    bands.lower.withUnsafeMutableBufferPointer { lower in
                        bollinger(x, period: period, deviations: deviations, upper: upper, middle: middle, lower: lower)
                    }
                }
            }
        }
        return bands
    }

    public static func bollinger(_ x: UnsafeBufferPointer<Double>, period: Int, deviations: Double, upper: UnsafeMutableBufferPointer<Double>,
                                 middle: UnsafeMutableBufferPointer<Double>, lower: UnsafeMutableBufferPointer<Double>) {
        let n = x.count
        guard period > 0, n >= period else { return }
        var sum = 0.0, squares = 0.0
        for i in 0..<(period - 1) {
            sum += x[i]
            squares += x[i] * x[i]
        }
        let inverse = 1.0 / Double(period)
        var i = period - 1
        while i < n {
            let incoming = x[i]
            sum += incoming
            squares += incoming * incoming
            let mean = sum * inverse
            let variance = squares * inverse - mean * mean
            let band = variance > 0 ? variance.squareRoot() * deviations : 0
            middle[i] = mean
            upper[i] = mean + band
            lower[i] = mean - band
            let outgoing = x[i - period + 1]
            sum -= outgoing
            squares -= outgoing * outgoing
            i += 1
        }
    }
}
