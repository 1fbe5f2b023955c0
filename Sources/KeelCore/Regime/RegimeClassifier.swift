import Foundation

/// A rule-based, explainable regime classifier: trend (close vs its 200-day average and the average's slope),
/// realised volatility and its percentile against the series' own history, drawdown from the running peak, and
/// breadth across a universe. A new regime is adopted only after it is indicated on `confirmationDays`
/// consecutive days, or at once when it is indicated with at least `decisiveConfidence` (a crash is not waited
/// out), so noise around a threshold does not flip the answer day to day.
public struct RegimeClassifier: Sendable {
    public var confirmationDays = 5
    public var decisiveConfidence = 0.75
    /// Volatility percentile at or above which the market is `high_volatility` whatever the trend.
    public var extremeVolatilityPercentile = 0.92
    /// Drawdown beyond which a falling market is `bear`.
    public var bearDrawdown = -0.10

    public init() {}

    public func classify(_ series: BarSeries, universe: [BarSeries] = []) -> [RegimeDay] {
        let n = series.count
        guard n > 0 else { return [] }
        let close = series.close
        let average = Self.movingAverage(close, window: 200)
        let volatility = Indicators.rollingVolatility(close, window: 21)
        let breadth = universe.isEmpty ? nil : Self.breadth(universe, at: series.timestamps)
        var history: [Double] = []   // earlier volatilities, sorted: the percentile is point in time
        history.reserveCapacity(n)
        var peak = -Double.infinity
        var days: [RegimeDay] = []
        days.reserveCapacity(n)
        var current: MarketRegime?
        var streak = (regime: MarketRegime.sideways, days: 0)
        for i in 0..<n {
            peak = max(peak, close[i])
            let slope = i >= 20 && average[i - 20].isFinite && average[i - 20] > 0 ? average[i] / average[i - 20] - 1 : .nan
            let vol = volatility[i]
            var percentile = 0.5
            if vol.isFinite {
                percentile = history.isEmpty ? 0.5 : Double(Self.insertionIndex(history, vol)) / Double(history.count)
                history.insert(vol, at: Self.insertionIndex(history, vol))
            }
            let inputs = RegimeInputs(close: close[i], movingAverage: average[i], movingAverageSlope: slope, volatility: vol,
                                      volatilityPercentile: percentile, drawdown: peak > 0 ? close[i] / peak - 1 : 0, breadth: breadth?[i])
            let (indicated, confidence) = indicate(inputs)
            if indicated == streak.regime { streak.days += 1 } else { streak = (indicated, 1) }
            if current == nil || (indicated != current && (streak.days >= confirmationDays || confidence >= decisiveConfidence)) {
                current = indicated
            }
            days.append(RegimeDay(date: series.timestamps[i], regime: current!, confidence: current == indicated ? confidence : 1 - confidence,
                                  indicated: indicated, inputs: inputs))
        }
        return days
    }

    /// The regime one day's inputs point at, and how clearly.
    public func indicate(_ x: RegimeInputs) -> (MarketRegime, Double) {
        let clamp = { (value: Double) in min(1, max(0, value)) }
        guard x.movingAverage.isFinite, x.movingAverage > 0 else {
            // Too little history for the trend: only volatility can speak.
            return x.volatilityPercentile >= extremeVolatilityPercentile ? (.highVolatility, 0.6) : (.sideways, 0.3)
        }
        let trend = x.close / x.movingAverage - 1
        let slope = x.movingAverageSlope.isFinite ? x.movingAverageSlope : 0
        let breadthTilt = x.breadth.map { $0 - 0.5 } ?? 0
        if x.volatilityPercentile >= extremeVolatilityPercentile {
            return (.highVolatility, clamp(0.6 + (x.volatilityPercentile - extremeVolatilityPercentile) * 4 + max(0, -x.drawdown)))
        }
        if trend < 0 && slope < 0 && x.drawdown <= bearDrawdown {
            return (.bear, clamp(0.5 + min(-trend, 0.2) * 1.5 + min(-x.drawdown - 0.1, 0.3) - breadthTilt * 0.3))
        }
        if trend > 0 && slope > 0 && x.volatilityPercentile < 0.8 {
            return (.bull, clamp(0.5 + min(trend, 0.1) * 2 + min(slope, 0.03) * 5 + breadthTilt * 0.3))
        }
        // Elevated volatility; a fast fall from the peak makes it decisive (a crash is not waited out).
        if x.volatilityPercentile >= 0.8 { return (.highVolatility, clamp(0.55 + max(0, -x.drawdown - 0.05) * 3)) }
        return (.sideways, clamp(0.6 - abs(trend) * 3))
    }

    static func movingAverage(_ values: [Double], window: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: values.count)
        var sum = 0.0
        for i in values.indices {
            sum += values[i]
            if i >= window { sum -= values[i - window] }
            if i >= window - 1 { out[i] = sum / Double(window) }
        }
        return out
    }

    static func insertionIndex(_ sorted: [Double], _ value: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// For each day, the share of the universe's names whose close is above their own 200-day average.
    static func breadth(_ universe: [BarSeries], at days: [Date]) -> [Double?] {
        let states = universe.map { series -> (BarSeries, [Double]) in (series, movingAverage(series.close, window: 200)) }
        return days.map { day in
            var above = 0, counted = 0
            for (series, average) in states {
                guard let i = series.lastIndex(onOrBefore: day), average[i].isFinite else { continue }
                counted += 1
                if series.close[i] > average[i] { above += 1 }
            }
            return counted == 0 ? nil : Double(above) / Double(counted)
        }
    }
}
