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
        let table = buildColumns(histories, fundamentals: fundamentals)
        return (0..<table.rowCount).map { row in
            FeatureRow(symbol: table.symbols[row], date: table.dates[row], values: table.columns.map { $0[row] })
        }
    }

    /// The same features straight into one contiguous array per feature (no per-row objects): what datasets use.
    public func buildColumns(_ histories: [BarSeries], fundamentals: [FundamentalPoint] = []) -> FeatureColumns {
        var table = FeatureColumns(names: Self.names)
        let rows = histories.reduce(0) { $0 + $1.count }
        table.reserveCapacity(rows)
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
                var logCap = Double.nan
                if let cap = point?.marketCap, cap > 0 { logCap = log(cap) }
                table.append(symbol: series.symbol, date: date, values: [
                    change(i, 1), change(i, 5), change(i, 21), change(i, 63), momentum,
                    vol21[i], vol63[i], rsi[i], close > 0 ? macd.histogram[i] / close : .nan, width > 0 ? (close - bands.lower[i]) / width : .nan,
                    zscore[i], close > 0 ? atr[i] / close : .nan,
                    .nan, .nan, .nan,
                    point?.peRatio ?? .nan, point?.dividendYield ?? .nan, logCap, point?.priceToBook ?? .nan,
                ])
            }
        }
        addRanks(&table)
        return table
    }

    /// Percentile ranks (0 = lowest, 1 = highest) among the symbols that have the value on the same day.
    private func addRanks(_ table: inout FeatureColumns) {
        let pairs = [(source: 2, target: 12), (source: 4, target: 13), (source: 5, target: 14)]
        let byDate = Dictionary(grouping: 0..<table.rowCount, by: { table.dates[$0] })
        for indices in byDate.values {
            for (source, target) in pairs {
                let column = table.columns[source]
                let present = indices.filter { !column[$0].isNaN }.sorted { column[$0] < column[$1] }
                guard present.count > 1 else {
                    if let only = present.first { table.columns[target][only] = 0.5 }
                    continue
                }
                for (rank, index) in present.enumerated() { table.columns[target][index] = Double(rank) / Double(present.count - 1) }
            }
        }
    }
}

/// Features of many (symbol, day) rows, one contiguous array per feature.
public struct FeatureColumns: Sendable {
    public let names: [String]
    public private(set) var symbols: [String] = []
    public private(set) var dates: [Date] = []
    public fileprivate(set) var columns: [[Double]]

    public init(names: [String]) {
        self.names = names
        self.columns = [[Double]](repeating: [], count: names.count)
    }

    public var rowCount: Int { dates.count }

    mutating func reserveCapacity(_ n: Int) {
        symbols.reserveCapacity(n)
        dates.reserveCapacity(n)
        for f in columns.indices { columns[f].reserveCapacity(n) }
    }

    public mutating func append(symbol: String, date: Date, values: [Double]) {
        symbols.append(symbol)
        dates.append(date)
        for f in columns.indices { columns[f].append(f < values.count ? values[f] : .nan) }
    }
}
