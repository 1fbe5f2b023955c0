import Foundation
import KeelCore

/// The transparent baseline: cross-sectional 12-1 momentum.
///
/// Signal: the return from 12 months ago to 1 month ago (the most recent month is skipped because it tends
/// to reverse). Score: that signal standardised across the universe. Expected return over the next month by
/// Grinold's rule, alpha = IC x volatility x score, with an information coefficient of 0.05 (a typical
/// momentum IC) and the symbol's own monthly volatility. Dates are calendar-based, so equities (252 bars a
/// year) and crypto (365) are treated alike.
public struct MomentumBaselineModel: ReturnPredictor {
    public static let version = "momentum-12-1/v1"

    public var lookbackDays: Int
    public var skipDays: Int
    /// Shortest history (calendar days) a symbol needs; younger symbols use what they have from here on.
    public var minimumHistoryDays: Int
    public var informationCoefficient: Double
    public var volatilityWindow: Int

    public init(lookbackDays: Int = 365, skipDays: Int = 30, minimumHistoryDays: Int = 120,
                informationCoefficient: Double = 0.05, volatilityWindow: Int = 63) {
        self.lookbackDays = lookbackDays
        self.skipDays = skipDays
        self.minimumHistoryDays = minimumHistoryDays
        self.informationCoefficient = informationCoefficient
        self.volatilityWindow = volatilityWindow
    }

    public var modelVersion: String { Self.version }

    public func predict(histories: [BarSeries], asOf: Date) -> [ReturnPrediction] {
        struct Raw { let symbol: String; let momentum: Double; let volatility: Double; let lastTime: Date }
        let day: TimeInterval = 86_400
        var raws: [Raw] = []
        for series in histories {
            guard let end = series.lastIndex(onOrBefore: asOf), let first = series.timestamps.first else { continue }
            let lastTime = series.timestamps[end]
            let historyDays = lastTime.timeIntervalSince(first) / day
            guard historyDays >= Double(minimumHistoryDays) else { continue }
            let startDate = max(asOf.addingTimeInterval(-Double(lookbackDays) * day), first)
            guard let startIndex = series.lastIndex(onOrBefore: startDate),
                  let skipIndex = series.lastIndex(onOrBefore: asOf.addingTimeInterval(-Double(skipDays) * day)),
                  skipIndex > startIndex else { continue }
            let startClose = series.close[startIndex], skipClose = series.close[skipIndex]
            guard startClose > 0, skipClose > 0 else { continue }
            // Annualise so a symbol with a shorter history is comparable with a full 11-month window.
            let spanYears = series.timestamps[skipIndex].timeIntervalSince(series.timestamps[startIndex]) / (365.25 * day)
            let momentum = log(skipClose / startClose) * ((Double(lookbackDays - skipDays) / 365.25) / spanYears)
            let closes = Array(series.close[...end])
            // Bars per year from the last year only, so the answer does not depend on how much older history is passed.
            let yearStart = series.lastIndex(onOrBefore: lastTime.addingTimeInterval(-365 * day)).map { $0 + 1 } ?? 0
            let timestamps = Array(series.timestamps[yearStart...end])
            guard let volatility = ReturnStatistics.trailingVolatility(closes, window: volatilityWindow,
                                                                       periodsPerYear: ReturnStatistics.periodsPerYear(timestamps: timestamps)),
                  volatility > 0, momentum.isFinite else { continue }
            raws.append(Raw(symbol: series.symbol, momentum: momentum, volatility: volatility, lastTime: lastTime))
        }
        guard !raws.isEmpty else { return [] }

        let mean = raws.map(\.momentum).reduce(0, +) / Double(raws.count)
        let spread = ReturnStatistics.standardDeviation(raws.map(\.momentum)) ?? 0
        let monthFraction = (Double(skipDays) / 365.25).squareRoot()
        return raws.map { raw in
            let score = spread > 1e-12 ? (raw.momentum - mean) / spread : 0
            let expected = informationCoefficient * raw.volatility * monthFraction * score
            return ReturnPrediction(symbol: raw.symbol, expectedReturn: expected, score: score, volatility: raw.volatility,
                                    horizonDays: skipDays, modelVersion: Self.version, asOf: raw.lastTime)
        }
        .sorted { ($0.score, $1.symbol) > ($1.score, $0.symbol) }
    }
}
