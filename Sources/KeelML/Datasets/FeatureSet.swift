import Foundation
import KeelCore

/// Features per (symbol, day) from price histories: what a dataset is built from and a model predicts with.
/// Implementations must be point-in-time (a value at a bar uses bars up to that bar only); `LookAheadCheck`
/// verifies it before training.
public protocol FeatureSet: Sendable {
    var names: [String] { get }
    func build(_ histories: [BarSeries], fundamentals: [FundamentalPoint]) -> [FeatureRow]
}

extension FeatureBuilder: FeatureSet {
    public var names: [String] { Self.names }
}
