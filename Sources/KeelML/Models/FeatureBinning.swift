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
    /// Each value starts from a table of where evenly spaced points between the first and last cut fall, then steps
    /// to its exact lower bound (a cut or two away), equal to `bin(_:feature:)` for every value but without its
    /// binary search: binning a training set is a search per value, and the search's branches mispredict.
    public func binned(_ columns: [[Double]], rows: [Int]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: columns.count * rows.count)
        let cells = 4_096
        var start = [Int](repeating: 0, count: cells)
        result.withUnsafeMutableBufferPointer { out in
            for f in 0..<min(columns.count, edges.count) {
                let base = f * rows.count
                edges[f].withUnsafeBufferPointer { cuts in
                    let count = cuts.count
                    guard count > 0, let low = cuts.first, let high = cuts.last, high > low else {
                        columns[f].withUnsafeBufferPointer { column in
                            for (i, row) in rows.enumerated() { out[base + i] = bin(column[row], feature: f) }
                        }
                        return
                    }
                    let scale = Double(cells) / (high - low)
                    var next = 0
                    for cell in 0..<cells {
                        let point = low + Double(cell) / scale
                        while next < count && cuts[next] < point { next += 1 }
                        start[cell] = next
                    }
                    columns[f].withUnsafeBufferPointer { column in
                        for (i, row) in rows.enumerated() {
                            let value = column[row]
                            guard value.isFinite else { out[base + i] = 0; continue }
                            // Clamped as a double first: a far outlier's position does not fit an Int.
                            let position = (value - low) * scale
                            let cell = position <= 0 ? 0 : position >= Double(cells - 1) ? cells - 1 : Int(position)
                            var below = start[cell]
                            // Exact whatever the table's rounding: forward past cuts under the value, back over any at or above it.
                            while below < count && cuts[below] < value { below &+= 1 }
                            while below > 0 && cuts[below &- 1] >= value { below &-= 1 }
                            out[base + i] = UInt8(truncatingIfNeeded: below &+ 1)
                        }
                    }
                }
            }
        }
        // Columns beyond the fitted features (none in practice) stay 0, missing: there are no cuts to place them by.
        return result
    }
}
