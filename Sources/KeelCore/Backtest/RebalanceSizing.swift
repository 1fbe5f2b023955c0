import Foundation

/// Decides the risk factor of each rebalance in a replay from the portfolio's value at that bar.
public protocol RebalanceSizing: Sendable {
    mutating func factor(at date: Date, value: Double) -> Double
}

/// Normal risk at every rebalance: the replay without a goal.
public struct ConstantSizing: RebalanceSizing {
    public init() {}
    public func factor(at date: Date, value: Double) -> Double { 1 }
}
