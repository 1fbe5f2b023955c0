import Foundation
import KeelCore
@testable import KeelML
import Testing

@Suite("Gradient-boosted trees")
struct GradientBoostedTreesTests {
    /// y = sin(3·x0) + x1² − 0.5·[x2 > 0] + noise, with missing values in x0: a shape no linear model fits.
    static func nonlinear(rows: Int, seed: UInt64) -> (columns: [[Double]], labels: [Double]) {
        var generator = SeededGenerator(seed: seed)
        var columns = [[Double]](repeating: [], count: 5)
        var labels: [Double] = []
        for _ in 0..<rows {
            let x = (0..<5).map { _ in Double.random(in: -1...1, using: &generator) }
            let missing = Double.random(in: 0..<1, using: &generator) < 0.05
            for f in 0..<5 { columns[f].append(f == 0 && missing ? .nan : x[f]) }
            labels.append((missing ? 0 : sin(3 * x[0])) + x[1] * x[1] - (x[2] > 0 ? 0.5 : 0) + Double.random(in: -0.1...0.1, using: &generator))
        }
        return (columns, labels)
    }

    @Test("fits a non-linear function out of sample far better than the mean, and ranks the features that matter")
    func fitsNonlinearShape() throws {
        let (columns, labels) = Self.nonlinear(rows: 6000, seed: 3)
        var parameters = GBDTParameters()
        parameters.trees = 300
        parameters.learningRate = 0.1
        let model = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                 train: Array(0..<4000), validation: Array(4000..<5000))
        let test = Array(5000..<6000)
        let predictions = test.map { row in model.predict(features: columns.map { $0[row] }) }
        let rmse = PredictionMetrics.rmse(predictions, test.map { labels[$0] })
        let mean = labels[0..<4000].reduce(0, +) / 4000
        let baseline = PredictionMetrics.rmse(test.map { _ in mean }, test.map { labels[$0] })
        #expect(rmse < 0.35 * baseline, "rmse \(rmse) vs the mean's \(baseline)")
        #expect(model.importances[3] < 0.02 && model.importances[4] < 0.02, "noise features barely used: \(model.importances)")
        #expect(abs(model.importances.reduce(0, +) - 1) < 1e-9)
        #expect(model.trees.count <= 300 && model.validationCurve.count >= model.trees.count)
    }

    @Test("binned and raw prediction agree; the same seed gives the same model; subsampling changes it")
    func deterministic() throws {
        let (columns, labels) = Self.nonlinear(rows: 3000, seed: 5)
        var parameters = GBDTParameters()
        parameters.trees = 40
        parameters.rowSubsample = 0.7
        parameters.seed = 11
        let fit = { try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                train: Array(0..<2000), validation: []) }
        let model = try fit()
        #expect(try fit() == model, "same data, parameters and seed")
        parameters.seed = 12
        #expect(try fit() != model, "another seed samples other rows")
        let dataset = Dataset(featureNames: ["a", "b", "c", "d", "e"], symbols: ["X"], days: [Date()], horizonDays: 1,
                              symbolIndex: [Int32](repeating: 0, count: 3000), dayIndex: [Int32](repeating: 0, count: 3000),
                              columns: columns, labels: labels)
        let rows = Array(2000..<2200)
        let binned = model.predict(dataset, rows: rows)
        for (i, row) in rows.enumerated() { #expect(abs(binned[i] - model.predict(features: columns.map { $0[row] })) < 1e-12) }
    }

    @Test("early stopping keeps the best validation round; out-of-range parameters are refused by name")
    func earlyStoppingAndValidation() throws {
        let (columns, labels) = Self.nonlinear(rows: 2000, seed: 9)
        var parameters = GBDTParameters()
        parameters.trees = 2000
        parameters.learningRate = 0.5
        parameters.earlyStoppingRounds = 10
        let model = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                 train: Array(0..<1500), validation: Array(1500..<2000))
        #expect(model.trees.count < 2000)
        let best = model.validationCurve.min()!
        #expect(model.validationCurve[model.trees.count - 1] == best)

        for (field, change) in [("learning_rate", { (p: inout GBDTParameters) in p.learningRate = -0.1 }),
                                ("max_depth", { (p: inout GBDTParameters) in p.maxDepth = 0 }),
                                ("max_bins", { (p: inout GBDTParameters) in p.maxBins = 300 }),
                                ("row_subsample", { (p: inout GBDTParameters) in p.rowSubsample = 0 }),
                                ("l2", { (p: inout GBDTParameters) in p.l2 = 0 }),
                                ("min_split_gain", { (p: inout GBDTParameters) in p.minSplitGain = -1 })] {
            var bad = GBDTParameters()
            change(&bad)
            #expect(throws: GBDTParameters.Invalid.self) { try bad.validated() }
            do { _ = try bad.validated() } catch let invalid as GBDTParameters.Invalid { #expect(invalid.field == field) }
        }
        #expect(throws: GBDTParameters.Invalid.self, "too few rows is an error, not a crash") {
            try GBDTTrainer(parameters: GBDTParameters()).fit(featureNames: ["a"], columns: [[1, 2, 3]], labels: [1, 2, 3], train: [0, 1, 2], validation: [])
        }
    }

    @Test("importances come from the trees kept after early stopping, not from the ones grown after the best round")
    func importancesOfKeptTrees() throws {
        let (columns, labels) = Self.nonlinear(rows: 2000, seed: 9)
        var parameters = GBDTParameters()
        parameters.trees = 400
        parameters.learningRate = 0.5
        parameters.earlyStoppingRounds = 30
        let names = ["a", "b", "c", "d", "e"]
        let stopped = try GBDTTrainer(parameters: parameters).fit(featureNames: names, columns: columns, labels: labels,
                                                                   train: Array(0..<1500), validation: Array(1500..<2000))
        #expect(stopped.validationCurve.count > stopped.trees.count, "trees were grown past the best round and dropped")
        // The same first trees grown alone (no validation, so none dropped): the same importances.
        parameters.trees = stopped.trees.count
        parameters.earlyStoppingRounds = 0
        let alone = try GBDTTrainer(parameters: parameters).fit(featureNames: names, columns: columns, labels: labels, train: Array(0..<1500), validation: [])
        #expect(alone.trees == stopped.trees)
        for (a, b) in zip(alone.importances, stopped.importances) { #expect(abs(a - b) < 1e-12, "\(alone.importances) vs \(stopped.importances)") }
    }

    @Test("NaN and ±infinity take the missing branch in raw and batch prediction, as the missing bin did in training")
    func nonFiniteInputsRouteAsMissing() throws {
        var (columns, labels) = Self.nonlinear(rows: 3000, seed: 21)
        for row in stride(from: 0, to: 3000, by: 7) { columns[0][row] = [Double.infinity, -Double.infinity, .nan][row % 3] }
        var parameters = GBDTParameters()
        parameters.trees = 30
        let model = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                 train: Array(0..<2500), validation: [])
        let dataset = Dataset(featureNames: ["a", "b", "c", "d", "e"], symbols: ["X"], days: [Date()], horizonDays: 1,
                              symbolIndex: [Int32](repeating: 0, count: 3000), dayIndex: [Int32](repeating: 0, count: 3000),
                              columns: columns, labels: labels)
        let rows = Array(2500..<3000).filter { !columns[0][$0].isFinite }
        #expect(rows.count > 50)
        let binned = model.predict(dataset, rows: rows)
        let batch = model.predict(batch: rows.map { row in columns.map { $0[row] } })
        for (i, row) in rows.enumerated() {
            let raw = model.predict(features: columns.map { $0[row] })
            var missing = columns.map { $0[row] }
            missing[0] = .nan
            #expect(abs(binned[i] - raw) < 1e-12 && abs(batch[i] - raw) < 1e-12, "\(columns[0][row]): binned \(binned[i]), raw \(raw), batch \(batch[i])")
            #expect(raw == model.predict(features: missing), "\(columns[0][row]) is treated as missing")
        }
    }

    /// What a row's prediction is by definition: the base score plus each tree's walk, in tree order.
    static func walked(_ model: GBDTModel, _ row: [Double]) -> Double {
        model.trees.reduce(model.baseScore) { $0 + $1.predict(features: row) }
    }

    @Test("batch prediction equals walking every tree row by row, bit for bit, on any rows (short, NaN, ±infinity)")
    func batchEqualsTreeWalks() throws {
        let (columns, labels) = Self.nonlinear(rows: 3000, seed: 31)
        var parameters = GBDTParameters()
        parameters.trees = 40
        parameters.maxDepth = 8
        parameters.maxLeaves = 63
        let model = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                 train: Array(0..<3000), validation: [])
        var generator = SeededGenerator(seed: 77)
        let specials = [Double.nan, .infinity, -.infinity, 0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
        for batchSize in [0, 1, 7, 500, 1031] {
            let rows = (0..<batchSize).map { _ in
                (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                    Double.random(in: 0..<1, using: &generator) < 0.1 ? specials.randomElement(using: &generator)! : Double.random(in: -1.5...1.5, using: &generator)
                }
            }
            let batch = model.predict(batch: rows)
            #expect(batch.count == rows.count)
            for (row, predicted) in zip(rows, batch) {
                #expect(predicted.bitPattern == Self.walked(model, row).bitPattern, "\(row): batch \(predicted), walked \(Self.walked(model, row))")
            }
        }
    }

    @Test("a damaged model (children out of range or looping, a feature it has no column for) predicts without trapping or looping")
    func damagedTreesPredict() {
        // Node 0 splits on feature 0 at 0.5 into leaves 1 (1.0) and 2 (2.0).
        let healthy = RegressionTree(feature: [0, -1, -1], splitBin: [0, 0, 0], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1],
                                     value: [9, 1, 2])
        var looping = healthy
        looping.left[0] = 0
        var outOfRange = healthy
        outOfRange.right[0] = 99
        var unknownFeature = healthy
        unknownFeature.feature[0] = 7
        var ragged = healthy
        ragged.value = [1]
        let model = GBDTModel(featureNames: ["a"], parameters: GBDTParameters(), binning: FeatureBinning(fitting: [[0, 1]], rows: [0, 1], maxBins: 4),
                              baseScore: 0.25, trees: [healthy, looping, outOfRange, unknownFeature, ragged], importances: [1], validationCurve: [])
        // healthy: 1 or 2; looping and out of range: the node's stored 9; unknown feature: always left (1); ragged: skipped.
        let left: Double = 0.25 + 1 + 9 + 9 + 1, right: Double = 0.25 + 2 + 9 + 9 + 1
        #expect(model.predict(batch: [[0.2], [0.9], [], [.infinity]]) == [left, right, left, left])
        let none = GBDTModel(featureNames: [], parameters: GBDTParameters(), binning: FeatureBinning(fitting: [], rows: [], maxBins: 4),
                             baseScore: 0.5, trees: [healthy], importances: [], validationCurve: [])
        #expect(none.predict(batch: [[], [3]]) == [1.5, 1.5], "a model of no features reads every feature as missing")
    }

    @Test("a value's bin is one plus the number of cuts below it (missing: 0), on cuts of every size, ties and edges")
    func binIsTheCountOfCutsBelow() {
        var generator = SeededGenerator(seed: 5)
        for size in [1, 2, 3, 7, 64, 255] {
            // Values from a coarse grid, so many fall exactly on a cut.
            let column = (0..<4_000).map { _ in (generator.nextUnit() * 40).rounded() / 4 }
            let binning = FeatureBinning(fitting: [column], rows: Array(column.indices), maxBins: size + 1)
            let cuts = binning.edges[0]
            let probes = column + cuts + [-1e300, 1e300, -0.0, 0.0] + cuts.map { $0.nextUp } + cuts.map { $0.nextDown }
            for value in probes {
                #expect(Int(binning.bin(value, feature: 0)) == 1 + cuts.filter { $0 < value }.count, "\(value) with \(cuts.count) cuts")
            }
            for missing in [Double.nan, .infinity, -.infinity] { #expect(binning.bin(missing, feature: 0) == 0) }
            // Binning a whole set (table and steps) gives every value the same bin, outliers and missing included.
            let set = probes + [.nan, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-300]
            #expect(binning.binned([set], rows: Array(set.indices)) == set.map { binning.bin($0, feature: 0) }, "\(cuts.count) cuts")
        }
        let constant = FeatureBinning(fitting: [[3, 3, 3]], rows: [0, 1, 2], maxBins: 16)
        #expect(constant.edges[0].isEmpty && constant.bin(3, feature: 0) == 1 && constant.bin(-7, feature: 0) == 1)
    }

    @Test("min_split_gain: a split must lower the loss by more than it; a bar above every gain leaves single-leaf trees")
    func minimumSplitGain() throws {
        let (columns, labels) = Self.nonlinear(rows: 1000, seed: 4)
        var parameters = GBDTParameters()
        parameters.trees = 5
        parameters.minSplitGain = 1e6
        let flat = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                train: Array(0..<800), validation: [])
        #expect(flat.trees.allSatisfy { $0.feature == [-1] }, "no split gains 1e6")
        parameters.minSplitGain = 0
        let grown = try GBDTTrainer(parameters: parameters).fit(featureNames: ["a", "b", "c", "d", "e"], columns: columns, labels: labels,
                                                                 train: Array(0..<800), validation: [])
        #expect(grown.trees.allSatisfy { $0.feature.count > 1 })
    }

    @Test("on the planted market gbdt finds the signal out of sample; on a random walk it does not")
    func plantedSignal() throws {
        func outOfSample(signal: Bool) throws -> PredictionMetrics {
            let dataset = DatasetBuilder(horizonDays: 20).build(PlantedMarket.histories(signal: signal))
            let window = try #require(WalkForwardSplit(testDays: 120, validationDays: 60, minimumTrainDays: 250)
                .windows(dayCount: dataset.days.count, horizonDays: 20).first)
            var parameters = GBDTParameters()
            parameters.trees = 100
            parameters.maxLeaves = 15
            parameters.minSamplesPerLeaf = 50
            let model = try GBDTTrainer(parameters: parameters).fit(dataset, train: dataset.labelledRows(inDays: window.train),
                                                                     validation: dataset.labelledRows(inDays: window.validation))
            let test = dataset.labelledRows(inDays: window.test)
            return PredictionMetrics.evaluate(dataset, rows: test, predictions: model.predict(dataset, rows: test))
        }
        let planted = try outOfSample(signal: true)
        #expect(planted.meanRankIC > 0.1 && planted.rankICTStat > 2, "\(planted)")
        let random = try outOfSample(signal: false)
        #expect(abs(random.meanRankIC) < 0.08, "\(random)")
    }
}
