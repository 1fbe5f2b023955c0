import Foundation
import KeelCore

/// Training settings of the gradient-boosted trees; `validated()` names the first one out of range.
public struct GBDTParameters: Sendable, Codable, Hashable {
    public var trees = 200
    public var learningRate = 0.05
    public var maxDepth = 6
    public var maxLeaves = 31
    public var maxBins = 255
    public var minSamplesPerLeaf = 20
    public var l2 = 1.0
    /// A split is made only when it lowers the loss by more than this (LightGBM's min_gain_to_split).
    public var minSplitGain = 0.0
    public var rowSubsample = 1.0
    /// Stop when validation RMSE has not improved for this many trees (0: never).
    public var earlyStoppingRounds = 20
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case trees, learningRate, maxDepth, maxLeaves, maxBins, minSamplesPerLeaf, l2, minSplitGain, rowSubsample, earlyStoppingRounds, seed
    }

    // Artifacts and plans stored before a setting existed still load, with that setting at its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = GBDTParameters()
        trees = try container.decodeIfPresent(Int.self, forKey: .trees) ?? defaults.trees
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        maxDepth = try container.decodeIfPresent(Int.self, forKey: .maxDepth) ?? defaults.maxDepth
        maxLeaves = try container.decodeIfPresent(Int.self, forKey: .maxLeaves) ?? defaults.maxLeaves
        maxBins = try container.decodeIfPresent(Int.self, forKey: .maxBins) ?? defaults.maxBins
        minSamplesPerLeaf = try container.decodeIfPresent(Int.self, forKey: .minSamplesPerLeaf) ?? defaults.minSamplesPerLeaf
        l2 = try container.decodeIfPresent(Double.self, forKey: .l2) ?? defaults.l2
        minSplitGain = try container.decodeIfPresent(Double.self, forKey: .minSplitGain) ?? defaults.minSplitGain
        rowSubsample = try container.decodeIfPresent(Double.self, forKey: .rowSubsample) ?? defaults.rowSubsample
        earlyStoppingRounds = try container.decodeIfPresent(Int.self, forKey: .earlyStoppingRounds) ?? defaults.earlyStoppingRounds
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
    }

    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let field: String
        public let message: String
        public var description: String { message }
    }

    public func validated() throws -> GBDTParameters {
        func check(_ ok: Bool, _ field: String, _ message: String) throws { if !ok { throw Invalid(field: field, message: message) } }
        try check((1...5000).contains(trees), "trees", "trees must be between 1 and 5000")
        try check(learningRate >= 1e-4 && learningRate <= 1, "learning_rate", "learning_rate must be between 0.0001 and 1")
        try check((1...16).contains(maxDepth), "max_depth", "max_depth must be between 1 and 16")
        try check((2...4096).contains(maxLeaves), "max_leaves", "max_leaves must be between 2 and 4096")
        try check((2...255).contains(maxBins), "max_bins", "max_bins must be between 2 and 255")
        try check((1...1_000_000).contains(minSamplesPerLeaf), "min_samples_per_leaf", "min_samples_per_leaf must be between 1 and 1,000,000")
        // l2 > 0 keeps every leaf value finite: with l2 = 0 a leaf's value is its gradient sum over its count alone.
        try check(l2 >= 1e-6 && l2 <= 1e6, "l2", "l2 must be between 0.000001 and 1e6")
        try check(minSplitGain >= 0 && minSplitGain <= 1e6, "min_split_gain", "min_split_gain must be between 0 and 1e6")
        // Below 1% a tree sees too few rows to mean anything (and 5e-324 would sample none).
        try check(rowSubsample >= 0.01 && rowSubsample <= 1, "row_subsample", "row_subsample must be between 0.01 and 1")
        try check((0...1000).contains(earlyStoppingRounds), "early_stopping_rounds", "early_stopping_rounds must be between 0 and 1000")
        return self
    }
}

/// One regression tree in arrays: node i splits on `feature[i]` (−1 for a leaf) at bin `splitBin[i]` /
/// raw value `threshold[i]` (at or below, or missing, goes to `left[i]`).
public struct RegressionTree: Sendable, Codable, Hashable {
    public var feature: [Int32] = []
    public var splitBin: [UInt8] = []
    public var threshold: [Double] = []
    public var left: [Int32] = []
    public var right: [Int32] = []
    public var value: [Double] = []

    mutating func addLeaf(_ leafValue: Double) -> Int32 {
        feature.append(-1); splitBin.append(0); threshold.append(0); left.append(-1); right.append(-1); value.append(leafValue)
        return Int32(feature.count - 1)
    }

    /// The leaf value for row `row` of column-major bins of `rowCount` rows.
    @inline(__always)
    func leafValue(binned: UnsafeBufferPointer<UInt8>, row: Int, rowCount: Int) -> Double {
        var node = 0
        while feature[node] >= 0 {
            let f = Int(feature[node])
            node = Int(binned[f * rowCount + row] <= splitBin[node] ? left[node] : right[node])
        }
        return value[node]
    }

    public func predict(features: [Double]) -> Double {
        var node = 0
        while feature[node] >= 0 {
            let f = Int(feature[node])
            let x = f < features.count ? features[f] : .nan
            // NaN and ±infinity go left: training binned every non-finite value as missing, and missing goes left.
            node = Int(x > threshold[node] && x < .infinity ? right[node] : left[node])
        }
        return value[node]
    }
}

/// A trained ensemble: base score plus the sum of the trees' leaves (learning rate already applied).
public struct GBDTModel: Sendable, Codable, Hashable {
    public var featureNames: [String]
    public var parameters: GBDTParameters
    public var binning: FeatureBinning
    public var baseScore: Double
    public var trees: [RegressionTree]
    /// Total split gain per feature, normalised to sum to 1.
    public var importances: [Double]
    /// Validation RMSE after each tree (empty without validation rows).
    public var validationCurve: [Double]

    public func predict(features: [Double]) -> Double {
        predict(batch: [features])[0]
    }

    public func predict(_ dataset: Dataset, rows: [Int]) -> [Double] {
        let binned = binning.binned(dataset.columns, rows: rows)
        return binned.withUnsafeBufferPointer { bins in
            (0..<rows.count).map { i in trees.reduce(baseScore) { $0 + $1.leafValue(binned: bins, row: i, rowCount: rows.count) } }
        }
    }

    /// Predictions for many rows at once (`rows[i]` holds row i's features), tree by tree over the whole batch:
    /// what the live path uses for a universe. Equal to walking each tree with `RegressionTree.predict(features:)`
    /// row by row, bit for bit (the same leaves added in the same order).
    public func predict(batch rows: [[Double]]) -> [Double] {
        let features = featureNames.count
        // Column by column (see `CompiledForest.accumulate`). Missing features are NaN; +∞ becomes NaN too, so one
        // comparison sends every non-finite value left. At least one column, so a node that always goes left (it
        // reads column 0) has something to read in a model of none.
        let count = rows.count
        var columns = [Double](repeating: .nan, count: count * max(features, 1))
        for (i, row) in rows.enumerated() {
            for f in 0..<min(features, row.count) where row[f] < .infinity { columns[f * count + i] = row[f] }
        }
        var output = [Double](repeating: baseScore, count: count)
        let forest = CompiledForest(trees, featureCount: features)
        columns.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { forest.accumulate(columns: input, into: $0) }
        }
        return output
    }
}

/// Histogram gradient boosting for squared loss: features binned once into bytes, per-leaf gradient
/// histograms (the larger child's by subtraction), leaf-wise growth bounded by depth and leaf count, L2 on leaf
/// values, row subsampling and early stopping on validation RMSE. Deterministic for a given seed.
public struct GBDTTrainer: Sendable {
    public let parameters: GBDTParameters

    public init(parameters: GBDTParameters) {
        self.parameters = parameters
    }

    /// Fits on `columns[f][row]`/`labels[row]` for `train`, early-stopping on `validation`. `cancellation` is
    /// checked every boosting round and every 32 splits inside a tree.
    public func fit(featureNames: [String], columns: [[Double]], labels: [Double], train: [Int], validation: [Int],
                    cancellation: CancellationCheck = .never) throws -> GBDTModel {
        let p = try parameters.validated()
        let n = train.count
        guard n >= 2 * p.minSamplesPerLeaf else {
            throw GBDTParameters.Invalid(field: "rows", message: "gbdt needs at least \(2 * p.minSamplesPerLeaf) labelled training rows; found \(n)")
        }
        let featureCount = columns.count
        let binning = FeatureBinning(fitting: columns, rows: train, maxBins: p.maxBins)
        let bins = binning.binned(columns, rows: train)
        let validationBins = binning.binned(columns, rows: validation)
        let y = train.map { labels[$0] }
        let validationY = validation.map { labels[$0] }
        let base = y.reduce(0, +) / Double(n)
        var prediction = [Double](repeating: base, count: n)
        var validationPrediction = [Double](repeating: base, count: validation.count)
        var gradient = [Double](repeating: 0, count: n)
        var trees: [RegressionTree] = []
        var gains = [Double](repeating: 0, count: featureCount)
        // The gains as they stood after each tree: importances come from the trees kept after early stopping.
        var gainsAfterTree: [[Double]] = []
        var curve: [Double] = []
        var best = (rmse: Double.infinity, trees: 0)
        var generator = SeededGenerator(seed: p.seed)
        let binCounts = (0..<featureCount).map(binning.binCount)
        var grower = TreeGrower(parameters: p, featureCount: featureCount, rowCount: n, binCounts: binCounts)

        for _ in 0..<p.trees {
            try cancellation.checkpoint()
            for i in 0..<n { gradient[i] = prediction[i] - y[i] }
            var sample: [Int32]
            if p.rowSubsample < 1 {
                sample = []
                sample.reserveCapacity(Int(Double(n) * p.rowSubsample) + 1)
                for i in 0..<n where Double.random(in: 0..<1, using: &generator) < p.rowSubsample { sample.append(Int32(i)) }
            } else {
                sample = (0..<n).map(Int32.init)
            }
            let tree = try bins.withUnsafeBufferPointer { binsPointer in
                try grower.grow(bins: binsPointer, gradient: gradient, rows: &sample, gains: &gains, binning: binning, cancellation: cancellation)
            }
            if sample.count == n {
                // Every row is in exactly one leaf's segment of `sample`: no traversal needed.
                for (start, end, value) in grower.lastLeaves { for k in start..<end { prediction[Int(sample[k])] += value } }
            } else {
                bins.withUnsafeBufferPointer { b in
                    for i in 0..<n { prediction[i] += tree.leafValue(binned: b, row: i, rowCount: n) }
                }
            }
            trees.append(tree)
            gainsAfterTree.append(gains)
            if !validation.isEmpty {
                validationBins.withUnsafeBufferPointer { b in
                    for i in 0..<validation.count { validationPrediction[i] += tree.leafValue(binned: b, row: i, rowCount: validation.count) }
                }
                let rmse = PredictionMetrics.rmse(validationPrediction, validationY)
                curve.append(rmse)
                if rmse < best.rmse - 1e-12 { best = (rmse, trees.count) }
                if p.earlyStoppingRounds > 0 && trees.count - best.trees >= p.earlyStoppingRounds { break }
            }
        }
        if !validation.isEmpty { trees = Array(trees.prefix(max(best.trees, 1))) }
        let kept = trees.isEmpty ? gains : gainsAfterTree[trees.count - 1]
        let totalGain = kept.reduce(0, +)
        return GBDTModel(featureNames: featureNames, parameters: p, binning: binning, baseScore: base, trees: trees,
                         importances: kept.map { totalGain > 0 ? $0 / totalGain : 0 }, validationCurve: curve)
    }

    public func fit(_ dataset: Dataset, train: [Int], validation: [Int], cancellation: CancellationCheck = .never) throws -> GBDTModel {
        try fit(featureNames: dataset.featureNames, columns: dataset.columns, labels: dataset.labels, train: train, validation: validation,
                cancellation: cancellation)
    }
}

/// Grows one tree leaf-wise over binned rows; owns the reusable histogram buffers.
struct TreeGrower {
    let parameters: GBDTParameters
    let featureCount: Int
    let rowCount: Int
    let binCounts: [Int]
    /// Histogram slots, each `featureCount × 256` (gradient sum, count) pairs.
    var pool: [[Double]] = []
    var free: [Int] = []
    var leafGradient: [Double] = []
    /// The last grown tree's leaves: segment of the row order and value.
    var lastLeaves: [(start: Int, end: Int, value: Double)] = []
    /// The rows a partition sends right, before they follow the left ones.
    var spill: [Int32] = []

    init(parameters: GBDTParameters, featureCount: Int, rowCount: Int, binCounts: [Int]) {
        self.parameters = parameters
        self.featureCount = featureCount
        self.rowCount = rowCount
        self.binCounts = binCounts
    }

    struct Split {
        var gain = 0.0
        var feature = -1
        var bin = 0
        var leftGradient = 0.0
        var leftCount = 0.0
    }

    struct Leaf {
        var start: Int
        var end: Int
        var depth: Int
        var gradient: Double
        var count: Double
        var histogram: Int
        var node: Int32
        var split: Split
    }

    mutating func histogramSlot() -> Int {
        if let slot = free.popLast() { return slot }
        pool.append([Double](repeating: 0, count: featureCount * 512))
        return pool.count - 1
    }

    /// Fills slot `slot` with the histograms of rows[start..<end].
    mutating func buildHistogram(_ slot: Int, bins: UnsafeBufferPointer<UInt8>, gradient: [Double], rows: [Int32], start: Int, end: Int) {
        let count = end - start
        if leafGradient.count < count { leafGradient = [Double](repeating: 0, count: count) }
        for k in 0..<count { leafGradient[k] = gradient[Int(rows[start + k])] }
        let features = featureCount, n = rowCount
        leafGradient.withUnsafeBufferPointer { g in
            rows.withUnsafeBufferPointer { r in
                pool[slot].withUnsafeMutableBufferPointer { h in
                    for i in 0..<h.count { h[i] = 0 }
                    // All rows in order (the root without subsampling): read the columns straight through.
                    let sequential = count == n && start == 0 && (count == 0 || (r[0] == 0 && Int(r[count - 1]) == n - 1))
                    let segment = UnsafeBufferPointer(rebasing: r[start..<end])
                    var f = 0
                    if !sequential {
                        // A leaf's rows are scattered: four features per pass over them, so each row's index and
                        // gradient are read once for four histograms and the four gathers overlap.
                        while f &+ 4 <= features {
                            let c0 = bins.baseAddress! + f &* n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n
                            let h0 = h.baseAddress! + f &* 512, h1 = h0 + 512, h2 = h1 + 512, h3 = h2 + 512
                            for k in 0..<count {
                                let row = Int(segment[k]), gradient = g[k]
                                let b0 = Int(c0[row]) &* 2, b1 = Int(c1[row]) &* 2, b2 = Int(c2[row]) &* 2, b3 = Int(c3[row]) &* 2
                                h0[b0] += gradient; h0[b0 &+ 1] += 1
                                h1[b1] += gradient; h1[b1 &+ 1] += 1
                                h2[b2] += gradient; h2[b2 &+ 1] += 1
                                h3[b3] += gradient; h3[b3 &+ 1] += 1
                            }
                            f &+= 4
                        }
                    }
                    while f < features {
                        let column = UnsafeBufferPointer(rebasing: bins[(f * n)..<(f * n + n)])
                        let offset = f * 512
                        if sequential {
                            for k in 0..<count {
                                let b = Int(column[k]) &* 2 &+ offset
                                h[b] += g[k]
                                h[b &+ 1] += 1
                            }
                        } else {
                            for k in 0..<count {
                                let b = Int(column[Int(segment[k])]) &* 2 &+ offset
                                h[b] += g[k]
                                h[b &+ 1] += 1
                            }
                        }
                        f &+= 1
                    }
                }
            }
        }
    }

    func bestSplit(_ slot: Int, gradient total: Double, count: Double, depth: Int) -> Split {
        var best = Split()
        guard depth < parameters.maxDepth, count >= Double(2 * parameters.minSamplesPerLeaf) else { return best }
        let lambda = parameters.l2, minimum = Double(parameters.minSamplesPerLeaf)
        let parentScore = total * total / (count + lambda)
        pool[slot].withUnsafeBufferPointer { h in
            for f in 0..<featureCount {
                var leftG = 0.0, leftN = 0.0
                let offset = f * 512
                for b in 0..<(binCounts[f] - 1) {
                    leftG += h[offset + 2 * b]
                    leftN += h[offset + 2 * b + 1]
                    if leftN < minimum { continue }
                    let rightN = count - leftN
                    if rightN < minimum { break }
                    let rightG = total - leftG
                    let gain = leftG * leftG / (leftN + lambda) + rightG * rightG / (rightN + lambda) - parentScore
                    if gain > best.gain + 1e-12 { best = Split(gain: gain, feature: f, bin: b, leftGradient: leftG, leftCount: leftN) }
                }
            }
        }
        return best
    }

    mutating func grow(bins: UnsafeBufferPointer<UInt8>, gradient: [Double], rows: inout [Int32], gains: inout [Double],
                       binning: FeatureBinning, cancellation: CancellationCheck) throws -> RegressionTree {
        var tree = RegressionTree()
        let total = rows.reduce(0.0) { $0 + gradient[Int($1)] }
        let rootSlot = histogramSlot()
        buildHistogram(rootSlot, bins: bins, gradient: gradient, rows: rows, start: 0, end: rows.count)
        let rootNode = tree.addLeaf(0)
        var leaves = [Leaf(start: 0, end: rows.count, depth: 0, gradient: total, count: Double(rows.count), histogram: rootSlot,
                           node: rootNode, split: bestSplit(rootSlot, gradient: total, count: Double(rows.count), depth: 0))]
        while leaves.count < parameters.maxLeaves {
            // A tree of thousands of leaves over many rows takes a while on its own.
            if leaves.count % 32 == 0 { try cancellation.checkpoint() }
            guard let index = leaves.indices.max(by: { leaves[$0].split.gain < leaves[$1].split.gain || (leaves[$0].split.gain == leaves[$1].split.gain && $0 > $1) }),
                  leaves[index].split.gain > max(0, parameters.minSplitGain) else { break }
            let leaf = leaves.remove(at: index)
            let split = leaf.split
            // Partition the leaf's rows, stably: bin ≤ split.bin to the front, each side keeping its ascending row order
            // (the children's histograms then read each column front to back).
            let column = split.feature * rowCount
            let cut = UInt8(split.bin)
            if spill.count < leaf.end - leaf.start { spill = [Int32](repeating: 0, count: leaf.end - leaf.start) }
            let middle = rows.withUnsafeMutableBufferPointer { order in
                spill.withUnsafeMutableBufferPointer { right in
                    var kept = leaf.start, moved = 0
                    for k in leaf.start..<leaf.end {
                        // Both writes, one counter advanced: no branch to mispredict on a split near the median.
                        // (`kept` ≤ k, so the write never overtakes the rows still to be read.)
                        let row = order[k]
                        let left = Int(unsafeBitCast(bins[column &+ Int(row)] <= cut, to: UInt8.self))
                        order[kept] = row
                        right[moved] = row
                        kept &+= left
                        moved &+= 1 &- left
                    }
                    for k in 0..<moved { order[kept &+ k] = right[k] }
                    return kept
                }
            }
            gains[split.feature] += split.gain
            let node = Int(leaf.node)
            tree.feature[node] = Int32(split.feature)
            tree.splitBin[node] = cut
            tree.threshold[node] = binning.threshold(feature: split.feature, bin: split.bin)
            let leftNode = tree.addLeaf(0), rightNode = tree.addLeaf(0)
            tree.left[node] = leftNode
            tree.right[node] = rightNode

            let leftCount = split.leftCount, rightCount = leaf.count - split.leftCount
            let leftGradient = split.leftGradient, rightGradient = leaf.gradient - split.leftGradient
            let depth = leaf.depth + 1
            let minimum = Double(2 * parameters.minSamplesPerLeaf)
            // Children that can never split need no histogram: at the depth limit, or too small on both sides.
            if depth >= parameters.maxDepth || (leftCount < minimum && rightCount < minimum) {
                free.append(leaf.histogram)
                leaves.append(Leaf(start: leaf.start, end: middle, depth: depth, gradient: leftGradient, count: leftCount, histogram: -1,
                                   node: leftNode, split: Split()))
                leaves.append(Leaf(start: middle, end: leaf.end, depth: depth, gradient: rightGradient, count: rightCount, histogram: -1,
                                   node: rightNode, split: Split()))
                continue
            }
            // Build the smaller child's histogram; the larger one is the parent's minus it (in the parent's slot).
            let smallerIsLeft = leftCount <= rightCount
            let smallSlot = histogramSlot()
            if smallerIsLeft {
                buildHistogram(smallSlot, bins: bins, gradient: gradient, rows: rows, start: leaf.start, end: middle)
            } else {
                buildHistogram(smallSlot, bins: bins, gradient: gradient, rows: rows, start: middle, end: leaf.end)
            }
            let largeSlot = leaf.histogram
            let size = featureCount * 512
            pool[smallSlot].withUnsafeBufferPointer { small in
                pool[largeSlot].withUnsafeMutableBufferPointer { large in
                    for i in 0..<size { large[i] -= small[i] }
                }
            }
            let leftSlot = smallerIsLeft ? smallSlot : largeSlot, rightSlot = smallerIsLeft ? largeSlot : smallSlot
            leaves.append(Leaf(start: leaf.start, end: middle, depth: depth, gradient: leftGradient, count: leftCount, histogram: leftSlot,
                               node: leftNode, split: bestSplit(leftSlot, gradient: leftGradient, count: leftCount, depth: depth)))
            leaves.append(Leaf(start: middle, end: leaf.end, depth: depth, gradient: rightGradient, count: rightCount, histogram: rightSlot,
                               node: rightNode, split: bestSplit(rightSlot, gradient: rightGradient, count: rightCount, depth: depth)))
        }
        lastLeaves.removeAll(keepingCapacity: true)
        for leaf in leaves {
            let value = -leaf.gradient / (leaf.count + parameters.l2) * parameters.learningRate
            tree.value[Int(leaf.node)] = value
            lastLeaves.append((leaf.start, leaf.end, value))
            if leaf.histogram >= 0 { free.append(leaf.histogram) }
        }
        return tree
    }
}
