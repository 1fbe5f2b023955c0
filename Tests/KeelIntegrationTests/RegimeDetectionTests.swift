import Foundation
import KeelCore
import KeelTestSupport
import Testing

/// The regime classifier on real index history: it must read 2008 and 2020 as crises and 2013 and 2017 as bull
/// markets, and not flip-flop.
@Suite("Market regime detection")
struct RegimeDetectionTests {
    static func load(_ relative: String, symbol: String) throws -> BarSeries {
        try BarCSV.parse(try String(contentsOfFile: MarketDataFiles.path(relative), encoding: .utf8), symbol: symbol).series
    }

    static func share(_ days: [RegimeDay], from: String, to: String, _ accept: Set<MarketRegime>) -> Double {
        let start = ISO8601DateFormatter().date(from: from + "T00:00:00Z")!, end = ISO8601DateFormatter().date(from: to + "T23:59:59Z")!
        let window = days.filter { $0.date >= start && $0.date <= end }
        guard !window.isEmpty else { return .nan }
        return Double(window.filter { accept.contains($0.regime) }.count) / Double(window.count)
    }

    @Test("walk-forward: thresholds chosen on the episodes before 2013 only, then judged on 2013, 2017 and March 2020",
          .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
    func thresholdsChosenEarlyJudgedLate() throws {
        let spy = try Self.load("equities/etf_spy_1999_2020/SPY.csv", symbol: "SPY")
        let report = try RegimeThresholdFit().fit(spy)
        print("regime threshold fit: \(report)")
        #expect(report.candidates == 27)
        #expect(report.choosingAgreement >= report.defaultChoosingAgreement - 1e-9, "the grid includes the defaults' neighbourhood: \(report)")
        #expect(report.judgingAgreement >= 0.6, "out of sample, the chosen thresholds still read the later episodes: \(report)")
        #expect(Set(report.perEpisode.keys) == Set((RegimeEpisode.choosing + RegimeEpisode.judging).map(\.name)))
    }

    @Test("October–November 2008 and March 2020 are bear or high_volatility; most of 2013 and 2017 is bull",
          .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
    func realCrises() throws {
        let crisis: Set<MarketRegime> = [.bear, .highVolatility]
        for (file, symbol) in [("indices/GSPC.csv", "^GSPC"), ("indices/IXIC.csv", "^IXIC"), ("equities/etf_spy_1999_2020/SPY.csv", "SPY")] {
            let days = RegimeClassifier().classify(try Self.load(file, symbol: symbol))
            #expect(Self.share(days, from: "2008-10-01", to: "2008-11-30", crisis) >= 0.95, "\(symbol) autumn 2008")
            if symbol != "^IXIC" {
                #expect(Self.share(days, from: "2013-01-01", to: "2013-12-31", [.bull]) >= 0.6, "\(symbol) 2013")
            }
            #expect(Self.share(days, from: "2017-01-01", to: "2017-12-31", [.bull]) >= 0.6, "\(symbol) 2017")
            if symbol == "SPY" {
                #expect(Self.share(days, from: "2020-03-01", to: "2020-03-31", crisis) >= 0.95, "SPY March 2020")
            }
            // Hysteresis: a handful of changes a year, not one a week.
            let changes = zip(days, days.dropFirst()).filter { $0.regime != $1.regime }.count
            let years = Double(days.count) / 252
            #expect(Double(changes) / years < 12, "\(symbol): \(changes) changes in \(years) years")
            // Every day carries what decided it.
            #expect(days.allSatisfy { $0.confidence >= 0 && $0.confidence <= 1 && $0.inputs.close > 0 })
        }
    }

    @Test("on simulated regimes the classifier agrees with the simulator far more often than chance")
    func simulatedRegimes() {
        let asset = SimulatedAsset(symbol: "IDX", assetClass: .etf, startPrice: 100, annualDrift: 0.07, annualVolatility: 0.16, marketBeta: 1, averageVolume: 1e7)
        let simulation = MarketSimulator(configuration: .init(seed: 11, start: Date(timeIntervalSince1970: 1_262_304_000), calendarDays: 4000))
            .simulate([asset])
        guard let index = simulation.bars["IDX"], index.count > 1000 else { Issue.record("no simulated series"); return }
        let days = RegimeClassifier().classify(index)
        var truth: [Date: MarketRegime] = [:]
        for (date, regime) in simulation.regimes { truth[Calendar(identifier: .gregorian).startOfDay(for: date)] = regime }
        var agree = 0, total = 0
        for day in days.dropFirst(250) {
            guard let actual = truth[Calendar(identifier: .gregorian).startOfDay(for: day.date)] else { continue }
            total += 1
            if actual == day.regime || (actual == .bear && day.regime == .highVolatility) || (actual == .highVolatility && day.regime == .bear) { agree += 1 }
        }
        #expect(total > 500)
        #expect(Double(agree) / Double(max(total, 1)) > 0.4, "agreement \(agree)/\(total)")
    }

    @Test("short and empty histories give answers, not crashes")
    func shortHistories() {
        #expect(RegimeClassifier().classify(BarSeries(symbol: "X")).isEmpty)
        var series = BarSeries(symbol: "X")
        for i in 0..<30 { series.append(timestamp: Date(timeIntervalSince1970: Double(i) * 86_400), open: 1, high: 1, low: 1, close: 1, volume: 1) }
        let days = RegimeClassifier().classify(series)
        #expect(days.count == 30 && days.allSatisfy { $0.regime == .sideways || $0.regime == .highVolatility })
    }
}
