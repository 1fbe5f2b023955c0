import Foundation
import KeelCore

/// Features per (symbol, day) from price histories: what a dataset is built from and a model predicts with.
/// Implementations must be point-in-time (a value at a bar uses bars up to that bar only); `LookAheadCheck`
/// verifies it before training.
public protocol FeatureSet: Sendable {
    var names: [String] { get }
    func build(_ histories: [BarSeries], fundamentals: [FundamentalPoint]) -> [FeatureRow]
    /// The same, one contiguous array per feature.
    func buildColumns(_ histories: [BarSeries], fundamentals: [FundamentalPoint]) -> FeatureColumns
}

extension FeatureSet {
    /// From rows, for feature sets that only build rows.
    public func buildColumns(_ histories: [BarSeries], fundamentals: [FundamentalPoint]) -> FeatureColumns {
        var table = FeatureColumns(names: names)
        for row in build(histories, fundamentals: fundamentals) { table.append(symbol: row.symbol, date: row.date, values: row.values) }
        return table
    }
}

extension FeatureBuilder: FeatureSet {
    public var names: [String] { Self.names }
}
