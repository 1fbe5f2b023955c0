import Foundation
import KeelCore

/// One symbol on one day and its feature values (NaN where not yet computable).
public struct FeatureRow: Sendable, Hashable {
    public var symbol: String
    public var date: Date
    public var values: [Double]
}

/// Model features, point-in-time by construction: every value at a bar uses bars up to that bar only
/// (the indicators are causal recurrences), cross-sectional ranks compare symbols on the same day only, and
/// fundamentals are the latest snapshot published on or before the day.
public struct FeatureBuilder: Sendable {
    public static let names = [
        "ret_1d", "ret_5d", "ret_21d", "ret_63d", "mom_12_1", "vol_21d", "vol_63d", "rsi_14", "macd_hist_pct", "bb_position",
        "zscore_20", "atr_pct", "rank_ret_21d", "rank_mom_12_1", "rank_vol_21d", "pe_ratio", "dividend_yield", "log_market_cap", "price_to_book",
    ]

    public init() {}

    public func build(_ histories: [BarSeries], fundamentals: [FundamentalPoint] = []) -> [FeatureRow] {
        var rows: [FeatureRow] = []
        let bySymbol = Dictionary(grouping: fundamentals, by: \.symbol).mapValues { $0.sorted { $0.publishedAt < $1.publishedAt } }
        for series in histories {
            let c = series.close
            let n = series.count
            guard n > 0 else { continue }
            func change(_ i: Int, _ h: Int) -> Double { i >= h && c[i - h] > 0 ? c[i] / c[i - h] - 1 : .nan }
            let vol21 = Indicators.rollingVolatility(c, window: 21), vol63 = Indicators.rollingVolatility(c, window: 63)
            let rsi = Indicators.rsi(c), macd = Indicators.macd(c), bands = Indicators.bollinger(c), zscore = Indicators.rollingZScore(c)
            let atr = Indicators.atr(high: series.high, low: series.low, close: c)
            let points = bySymbol[series.symbol] ?? []
            var pointIndex = -1
            for i in 0..<n {
                let date = series.timestamps[i]
                while pointIndex + 1 < points.count && points[pointIndex + 1].publishedAt <= date { pointIndex += 1 }
                let point = pointIndex >= 0 ? points[pointIndex] : nil
                let width = bands.upper[i] - bands.lower[i]
                let close = c[i]
                let momentum: Double = i >= 252 && c[i - 252] > 0 ? c[i - 21] / c[i - 252] - 1 : .nan
                let macdPercent: Double = close > 0 ? macd.histogram[i] / close : .nan
                let bandPosition: Double = width > 0 ? (close - bands.lower[i]) / width : .nan
                let atrPercent: Double = close > 0 ? atr[i] / close : .nan
                var logCap = Double.nan
                if let cap = point?.marketCap, cap > 0 { logCap = log(cap) }
                var values: [Double] = []
                values.reserveCapacity(Self.names.count)
                values.append(contentsOf: [change(i, 1), change(i, 5), change(i, 21), change(i, 63), momentum])
                values.append(contentsOf: [vol21[i], vol63[i], rsi[i], macdPercent, bandPosition, zscore[i], atrPercent])
                values.append(contentsOf: [Double.nan, .nan, .nan])
                values.append(contentsOf: [point?.peRatio ?? .nan, point?.dividendYield ?? .nan, logCap, point?.priceToBook ?? .nan])
                rows.append(FeatureRow(symbol: series.symbol, date: date, values: values))
            }
        }
        addRanks(&rows)
        return rows
    }

    /// Percentile ranks (0 = lowest, 1 = highest) among the symbols that have the value on the same day.
    private func addRanks(_ rows: inout [FeatureRow]) {
        let pairs = [(source: 2, target: 12), (source: 4, target: 13), (source: 5, target: 14)]
        let byDate = Dictionary(grouping: rows.indices, by: { rows[$0].date })
        for indices in byDate.values {
            for (source, target) in pairs {
                let present = indices.filter { !rows[$0].values[source].isNaN }.sorted { rows[$0].values[source] < rows[$1].values[source] }
                guard present.count > 1 else {
                    if let only = present.first { rows[only].values[target] = 0.5 }
                    continue
                }
                for (rank, index) in present.enumerated() { rows[index].values[target] = Double(rank) / Double(present.count - 1) }
            }
        }
    }
}
