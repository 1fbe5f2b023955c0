import Foundation
import KeelCore

/// Builds a `Dataset` from price histories: features from a `FeatureSet`, and labels as live trading earns them:
/// the features are seen at a close, the order fills at the next session's open, and the position is closed at
/// the open `horizonDays` bars after that (label = open[i+1+h] / open[i+1] - 1; Qlib enters at the next bar for
/// the same reason). Features and labels are computed once, straight into column arrays.
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

        // Forward return per (symbol, bar time): from the next bar's open to the open `horizonDays` bars later.
        var forward: [String: [Date: Double]] = [:]
        for series in histories {
            var bySymbol: [Date: Double] = [:]
            bySymbol.reserveCapacity(series.count)
            for i in 0..<series.count {
                let entry = i + 1, exit = i + 1 + horizonDays
                let start = entry < series.count ? series.open[entry] : .nan
                bySymbol[series.timestamps[i]] = exit < series.count && start > 0 && start.isFinite ? series.open[exit] / start - 1 : .nan
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
