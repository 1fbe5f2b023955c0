import Foundation

/// Per-feature bin edges from training-value quantiles: bin 0 holds missing values, bin k ≥ 1 the values up to
/// `edges[k - 1]`, the last bin everything above. At most 255 value bins, so a bin fits in a byte.
public struct FeatureBinning: Sendable, Codable, Hashable {
    public var edges: [[Double]]

    public init(edges: [[Double]]) {
        self.edges = edges
    }

    /// Edges of each feature from (a deterministic sample of) its finite training values.
    public init(fitting columns: [[Double]], rows: [Int], maxBins: Int, sampleLimit: Int = 200_000) {
        let valueBins = min(max(maxBins, 2), 255)
        let stride = max(1, rows.count / sampleLimit)
        edges = columns.map { column in
            var values: [Double] = []
            values.reserveCapacity(rows.count / stride + 1)
            var i = 0
            while i < rows.count {
                let value = column[rows[i]]
                if value.isFinite { values.append(value) }
                i += stride
            }
            guard !values.isEmpty else { return [] }
            values.sort()
            var cuts: [Double] = []
            for k in 1..<valueBins {
                let value = values[min(values.count - 1, k * values.count / valueBins)]
                if cuts.last.map({ value > $0 }) ?? true, value < values[values.count - 1] { cuts.append(value) }
            }
            return cuts
        }
    }

    /// Bins in use by feature `f`: missing, one per edge, and the open top bin.
    public func binCount(_ f: Int) -> Int { edges[f].count + 2 }

    @inline(__always)
    public func bin(_ value: Double, feature f: Int) -> UInt8 {
        guard value.isFinite else { return 0 }
        let cuts = edges[f]
        var lo = 0, hi = cuts.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if cuts[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return UInt8(lo + 1)
    }

    /// The value a split "bin ≤ b" compares raw inputs with: at or below it (or missing) goes left.
    public func threshold(feature f: Int, bin b: Int) -> Double {
        b == 0 ? -Double.infinity : (b - 1 < edges[f].count ? edges[f][b - 1] : Double.infinity)
    }

    /// `rows` binned column by column: `result[f * rows.count + i]`. Histograms are built feature by feature
    /// (one 2 KB histogram stays in L1 while a column is read), which measured faster than row-major here.
    public func binned(_ columns: [[Double]], rows: [Int]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: columns.count * rows.count)
        result.withUnsafeMutableBufferPointer { out in
            for f in 0..<columns.count {
                let base = f * rows.count
                columns[f].withUnsafeBufferPointer { column in
                    for (i, row) in rows.enumerated() { out[base + i] = bin(column[row], feature: f) }
                }
            }
        }
        return result
    }
}
