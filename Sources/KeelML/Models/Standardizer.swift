import Foundation

/// Per-feature mean and standard deviation from training rows; transformed values are z-scores with missing
/// values (NaN) at 0, the training mean. Stored with a model so prediction scales exactly as training did.
public struct Standardizer: Sendable, Codable, Hashable {
    public var means: [Double]
    public var deviations: [Double]

    public init(means: [Double], deviations: [Double]) {
        self.means = means
        self.deviations = deviations
    }

    public init(fitting dataset: Dataset, rows: [Int]) {
        var means = [Double](repeating: 0, count: dataset.featureCount)
        var deviations = [Double](repeating: 0, count: dataset.featureCount)
        for f in 0..<dataset.featureCount {
            let column = dataset.columns[f]
            var sum = 0.0, count = 0.0
            for row in rows where column[row].isFinite { sum += column[row]; count += 1 }
            let mean = count > 0 ? sum / count : 0
            var squares = 0.0
            for row in rows where column[row].isFinite { squares += (column[row] - mean) * (column[row] - mean) }
            means[f] = mean
            deviations[f] = count > 1 ? (squares / (count - 1)).squareRoot() : 0
        }
        self.init(means: means, deviations: deviations)
    }

    @inline(__always)
    public func scaled(_ value: Double, feature f: Int) -> Double {
        guard value.isFinite, deviations[f] > 0 else { return 0 }
        return (value - means[f]) / deviations[f]
    }
}
