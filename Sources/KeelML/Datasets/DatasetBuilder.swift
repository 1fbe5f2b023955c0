import Foundation
import KeelCore

/// Builds a `Dataset` from price histories: features from a `FeatureSet`, labels from closes `horizonDays` bars
/// ahead. Features and labels are computed once, straight into column arrays.
public struct DatasetBuilder: Sendable {
    public let features: any FeatureSet
    public let horizonDays: Int

    public init(features: any FeatureSet = FeatureBuilder(), horizonDays: Int = 20) {
        self.features = features
        self.horizonDays = max(1, horizonDays)
    }

    public func build(_ histories: [BarSeries], fundamentals: [FundamentalPoint] = []) -> Dataset {
        let names = features.names
        let rows = features.build(histories, fundamentals: fundamentals)
        let days = Array(Set(rows.map(\.date))).sorted()
        let dayOf = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
        let symbols = Array(Set(histories.map(\.symbol))).sorted()
        let symbolOf = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1, $0) })

        // Forward return per (symbol, bar time): close `horizonDays` bars later over this close.
        var forward: [String: [Date: Double]] = [:]
        for series in histories {
            var bySymbol: [Date: Double] = [:]
            bySymbol.reserveCapacity(series.count)
            for i in 0..<series.count {
                let ahead = i + horizonDays
                let start = series.close[i]
                bySymbol[series.timestamps[i]] = ahead < series.count && start > 0 ? series.close[ahead] / start - 1 : .nan
            }
            forward[series.symbol, default: [:]].merge(bySymbol) { first, _ in first }
        }

        var columns = [[Double]](repeating: [], count: names.count)
        for f in columns.indices { columns[f].reserveCapacity(rows.count) }
        var labels: [Double] = [], symbolIndex: [Int32] = [], dayIndex: [Int32] = []
        labels.reserveCapacity(rows.count)
        for row in rows {
            guard let symbol = symbolOf[row.symbol], let day = dayOf[row.date] else { continue }
            for f in 0..<names.count { columns[f].append(f < row.values.count ? row.values[f] : .nan) }
            labels.append(forward[row.symbol]?[row.date] ?? .nan)
            symbolIndex.append(Int32(symbol))
            dayIndex.append(Int32(day))
        }
        return Dataset(featureNames: names, symbols: symbols, days: days, horizonDays: horizonDays,
                       symbolIndex: symbolIndex, dayIndex: dayIndex, columns: columns, labels: labels)
    }
}
