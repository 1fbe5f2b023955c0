import Foundation

/// A stretch of market history whose regime is not in doubt, to judge a classifier against.
public struct RegimeEpisode: Sendable, Hashable, Codable {
    public var name: String
    public var from: String
    public var to: String
    public var expected: Set<MarketRegime>

    public init(name: String, from: String, to: String, expected: Set<MarketRegime>) {
        self.name = name
        self.from = from
        self.to = to
        self.expected = expected
    }

    /// Episodes of the US market before 2013 (choosing thresholds) and from 2013 (judging them), never both.
    public static let choosing: [RegimeEpisode] = [
        .init(name: "2002 bear market", from: "2002-07-01", to: "2002-10-15", expected: [.bear, .highVolatility]),
        .init(name: "2006 bull market", from: "2006-01-01", to: "2006-12-31", expected: [.bull]),
        .init(name: "2008 crash", from: "2008-10-01", to: "2008-11-30", expected: [.bear, .highVolatility]),
        .init(name: "2010-11 recovery", from: "2010-10-01", to: "2011-04-30", expected: [.bull]),
    ]
    public static let judging: [RegimeEpisode] = [
        .init(name: "2013 bull market", from: "2013-01-01", to: "2013-12-31", expected: [.bull]),
        .init(name: "2017 bull market", from: "2017-01-01", to: "2017-12-31", expected: [.bull]),
        .init(name: "March 2020 crash", from: "2020-03-01", to: "2020-03-31", expected: [.bear, .highVolatility]),
    ]

    /// The share of the episode's days the classifier placed in an expected regime (nil: no day in the data).
    public func agreement(_ days: [RegimeDay]) -> Double? {
        guard let start = Self.date(from), let end = Self.date(to).map({ $0.addingTimeInterval(86_399) }) else { return nil }
        let window = days.filter { $0.date >= start && $0.date <= end }
        guard !window.isEmpty else { return nil }
        return Double(window.filter { expected.contains($0.regime) }.count) / Double(window.count)
    }

    static func date(_ text: String) -> Date? { DateText.day(text)?.date }
}

/// Walk-forward honesty for the regime classifier's own parameters: the thresholds are chosen on the early
/// episodes only (the classifier sees bars up to each day; the grid's best mean agreement wins, ties to the
/// defaults' side), then reported on the later episodes, which played no part in choosing them.
public struct RegimeThresholdFit: Sendable {
    public struct Choice: Sendable, Hashable, Codable {
        public var bearDrawdown: Double
        public var extremeVolatilityPercentile: Double
        public var confirmationDays: Int
    }

    public struct Report: Sendable, Hashable, Codable {
        public var chosen: Choice
        /// Mean agreement with the episodes that chose the thresholds, and with those that judge them.
        public var choosingAgreement: Double
        public var judgingAgreement: Double
        /// The defaults' agreement on both, for comparison.
        public var defaultChoosingAgreement: Double
        public var defaultJudgingAgreement: Double
        public var perEpisode: [String: Double]
        public var candidates: Int
    }

    public var bearDrawdowns: [Double] = [-0.06, -0.10, -0.15]
    public var volatilityPercentiles: [Double] = [0.85, 0.92, 0.97]
    public var confirmationDays: [Int] = [3, 5, 10]

    public init() {}

    static func distanceFromDefaults(_ choice: Choice) -> Double {
        let defaults = RegimeClassifier()
        return abs(choice.bearDrawdown - defaults.bearDrawdown) / 0.05 + abs(choice.extremeVolatilityPercentile - defaults.extremeVolatilityPercentile) / 0.05
            + abs(Double(choice.confirmationDays - defaults.confirmationDays)) / 5
    }

    public func fit(_ series: BarSeries, choosing: [RegimeEpisode] = RegimeEpisode.choosing, judging: [RegimeEpisode] = RegimeEpisode.judging,
                    cancellation: CancellationCheck = .never) throws -> Report {
        func mean(_ episodes: [RegimeEpisode], _ days: [RegimeDay]) -> Double {
            let values = episodes.compactMap { $0.agreement(days) }
            return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        }
        // Choosing sees the bars up to the last choosing episode only.
        let cutoff = choosing.compactMap { RegimeEpisode.date($0.to) }.max().map { $0.addingTimeInterval(86_399) } ?? .distantFuture
        let early = series.truncated(through: cutoff)
        var best: (score: Double, choice: Choice)?
        var candidates = 0
        for drawdown in bearDrawdowns {
            for percentile in volatilityPercentiles {
                for confirmation in confirmationDays {
                    try cancellation.checkpoint()
                    var classifier = RegimeClassifier()
                    classifier.bearDrawdown = drawdown
                    classifier.extremeVolatilityPercentile = percentile
                    classifier.confirmationDays = confirmation
                    let score = mean(choosing, classifier.classify(early))
                    candidates += 1
                    let choice = Choice(bearDrawdown: drawdown, extremeVolatilityPercentile: percentile, confirmationDays: confirmation)
                    // Ties go to the candidate nearest the defaults: the data gave no reason to move further.
                    if best == nil || score > best!.score + 1e-12
                        || (abs(score - best!.score) <= 1e-12 && Self.distanceFromDefaults(choice) < Self.distanceFromDefaults(best!.choice)) {
                        best = (score, choice)
                    }
                }
            }
        }
        let choice = best!.choice
        var chosen = RegimeClassifier()
        chosen.bearDrawdown = choice.bearDrawdown
        chosen.extremeVolatilityPercentile = choice.extremeVolatilityPercentile
        chosen.confirmationDays = choice.confirmationDays
        let days = chosen.classify(series), defaults = RegimeClassifier().classify(series)
        var perEpisode: [String: Double] = [:]
        for episode in choosing + judging { perEpisode[episode.name] = episode.agreement(days) }
        return Report(chosen: choice, choosingAgreement: mean(choosing, days), judgingAgreement: mean(judging, days),
                      defaultChoosingAgreement: mean(choosing, defaults), defaultJudgingAgreement: mean(judging, defaults),
                      perEpisode: perEpisode, candidates: candidates)
    }
}
