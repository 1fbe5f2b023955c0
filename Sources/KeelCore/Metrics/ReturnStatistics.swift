import Foundation

/// Return and risk statistics over price or value series.
public enum ReturnStatistics {
    /// Simple period returns of a series; empty for fewer than two points.
    public static func simpleReturns(_ values: [Double]) -> [Double] {
        guard values.count > 1 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(values.count - 1)
        for i in 1..<values.count where values[i - 1] > 0 {
            out.append(values[i] / values[i - 1] - 1)
        }
        return out
    }

    /// Sample standard deviation (n - 1); nil for fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double? {
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return variance.squareRoot()
    }

    /// Annualised volatility of the last `window` returns of `values`.
    public static func trailingVolatility(_ values: [Double], window: Int, periodsPerYear: Double) -> Double? {
        let returns = simpleReturns(values)
        guard returns.count >= 2 else { return nil }
        let recent = Array(returns.suffix(window))
        return standardDeviation(recent).map { $0 * periodsPerYear.squareRoot() }
    }

    /// Bars per year implied by timestamps: about 252 for exchange-traded daily bars, 365 for crypto.
    public static func periodsPerYear(timestamps: [Date]) -> Double {
        guard let first = timestamps.first, let last = timestamps.last, timestamps.count > 10 else { return 252 }
        let years = last.timeIntervalSince(first) / (365.25 * 86_400)
        guard years > 0 else { return 252 }
        return Double(timestamps.count - 1) / years
    }
}
