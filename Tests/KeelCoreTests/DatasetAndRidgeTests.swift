import Foundation
import KeelCore
@testable import KeelML
import Testing

/// The planted-signal market of KeelCore, under the name these tests use.
enum PlantedMarket {
    static func histories(symbols: Int = 30, days: Int = 700, signal: Bool, seed: UInt64 = 7) -> [BarSeries] {
        PlantedSignalMarket.histories(symbols: symbols, days: days, signal: signal, seed: seed)
    }
}

/// A test-only feature set that reads tomorrow's close: the look-ahead check must refuse it.
struct PeekingFeatures: FeatureSet {
    var names: [String] { FeatureBuilder.names + ["tomorrow_return"] }

    func build(_ histories: [BarSeries], fundamentals: [FundamentalPoint]) -> [FeatureRow] {
        var rows = FeatureBuilder().build(histories, fundamentals: fundamentals)
        var next: [String: [Date: Double]] = [:]
        for series in histories {
            for i in 0..<series.count {
                next[series.symbol, default: [:]][series.timestamps[i]] = i + 1 < series.count ? series.close[i + 1] / series.close[i] - 1 : .nan
            }
        }
        for i in rows.indices { rows[i].values.append(next[rows[i].symbol]?[rows[i].date] ?? .nan) }
        return rows
    }
}

@Suite("Datasets, walk-forward splits and ridge")
struct DatasetAndRidgeTests {
    @Test("labels are the return from the next open over the horizon, as a decision at the close trades; features stay in contiguous columns")
    func labels() {
        let histories = PlantedMarket.histories(symbols: 3, days: 60, signal: false)
        let dataset = DatasetBuilder(horizonDays: 5).build(histories)
        #expect(dataset.rowCount == 180)
        #expect(dataset.columns.count == FeatureBuilder.names.count && dataset.columns.allSatisfy { $0.count == 180 })
        let row = (0..<dataset.rowCount).first { dataset.symbolIndex[$0] == 0 && dataset.dayIndex[$0] == 10 }!
        let opens = histories[0].open
        #expect(abs(dataset.labels[row] - (opens[16] / opens[11] - 1)) < 1e-12, "enter at day 11's open, exit five bars later")
        #expect(dataset.labelSpan == 6)
        let lastLabelled = (0..<dataset.rowCount).first { dataset.symbolIndex[$0] == 0 && dataset.dayIndex[$0] == 53 }!
        #expect(dataset.labels[lastLabelled].isFinite, "day 53 exits at day 59's open, the last bar")
        let open = (0..<dataset.rowCount).first { dataset.symbolIndex[$0] == 0 && dataset.dayIndex[$0] == 54 }!
        #expect(dataset.labels[open].isNaN, "the horizon is still open")
    }

    @Test("walk-forward windows keep an embargo of the horizon between train, validation and test")
    func embargo() {
        for horizon in [1, 5, 20] {
            let windows = WalkForwardSplit(testDays: 40, validationDays: 30, minimumTrainDays: 100).windows(dayCount: 600, horizonDays: horizon)
            #expect(!windows.isEmpty)
            for window in windows {
                #expect(window.train.upperBound - 1 + horizon < window.validation.lowerBound, "train labels end before validation")
                #expect(window.validation.upperBound - 1 + horizon < window.test.lowerBound, "validation labels end before test")
                #expect(window.test.upperBound <= 600 - horizon, "test labels exist")
            }
            for (a, b) in zip(windows, windows.dropFirst()) { #expect(a.test.upperBound <= b.test.lowerBound, "test windows do not overlap") }
        }
        #expect(WalkForwardSplit().windows(dayCount: 10, horizonDays: 20).isEmpty, "a short history gives no window, not a crash")
    }

    @Test("the look-ahead check refuses a feature built from tomorrow's close and accepts the point-in-time set")
    func lookAhead() throws {
        let histories = PlantedMarket.histories(symbols: 4, days: 320, signal: true)
        try LookAheadCheck().verify(FeatureBuilder(), histories: histories)
        #expect(throws: LookAheadCheck.Violation.self) { try LookAheadCheck().verify(PeekingFeatures(), histories: histories) }
        do {
            try LookAheadCheck().verify(PeekingFeatures(), histories: histories)
        } catch let violation as LookAheadCheck.Violation {
            #expect(violation.features == ["tomorrow_return"])
        }
    }

    @Test("ridge finds a planted signal out of sample and finds nothing in a random walk; it is deterministic")
    func ridgeFindsThePlantedSignal() throws {
        func outOfSample(signal: Bool) throws -> (PredictionMetrics, RidgeModel) {
            let dataset = DatasetBuilder(horizonDays: 20).build(PlantedMarket.histories(signal: signal))
            let window = try #require(WalkForwardSplit(testDays: 120, validationDays: 60, minimumTrainDays: 250)
                .windows(dayCount: dataset.days.count, horizonDays: 20).first)
            let model = try RidgeTrainer().fit(dataset, train: dataset.labelledRows(inDays: window.train),
                                               validation: dataset.labelledRows(inDays: window.validation))
            let test = dataset.labelledRows(inDays: window.test)
            return (PredictionMetrics.evaluate(dataset, rows: test, predictions: model.predict(dataset, rows: test)), model)
        }
        let (planted, model) = try outOfSample(signal: true)
        #expect(planted.meanRankIC > 0.1, "rank IC \(planted.meanRankIC)")
        #expect(planted.rankICTStat > 2, "t \(planted.rankICTStat)")
        let (random, _) = try outOfSample(signal: false)
        #expect(abs(random.meanRankIC) < 0.08, "rank IC on a random walk \(random.meanRankIC)")
        #expect(try outOfSample(signal: true).1 == model, "same data, same model")
    }
}
