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
        let table = features.buildColumns(histories, fundamentals: fundamentals)
        let days = Array(Set(table.dates)).sorted()
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

        var labels: [Double] = [], symbolIndex: [Int32] = [], dayIndex: [Int32] = []
        labels.reserveCapacity(table.rowCount)
        var kept: [Int] = []
        kept.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount {
            guard let symbol = symbolOf[table.symbols[row]], let day = dayOf[table.dates[row]] else { continue }
            kept.append(row)
            labels.append(forward[table.symbols[row]]?[table.dates[row]] ?? .nan)
            symbolIndex.append(Int32(symbol))
            dayIndex.append(Int32(day))
        }
        let columns = kept.count == table.rowCount ? table.columns : table.columns.map { column in kept.map { column[$0] } }
        return Dataset(featureNames: names, symbols: symbols, days: days, horizonDays: horizonDays,
                       symbolIndex: symbolIndex, dayIndex: dayIndex, columns: columns, labels: labels)
    }
}
