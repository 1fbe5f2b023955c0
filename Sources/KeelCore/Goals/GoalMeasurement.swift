import Foundation

/// Where a goal stands, from the value of its scope: the current value it reports (percent for return and
/// drawdown goals, money for the others) and the share of the target reached (1.0 = 100%).
///
/// - return goals: current = (value / start - 1) x 100; progress = current / target.
/// - profit_target: current = value - start (money); progress = current / target.
/// - portfolio_value: current = value; progress = (value - start) / (target - start).
/// - max_drawdown: current = (1 - value / peak) x 100; progress = current / limit (1.0 = limit reached).
public struct GoalMeasurement: Sendable, Hashable {
    public var currentValue: Double
    public var progress: Double

    public init(type: GoalType, target: Double, startingValue: Double, value: Double, peakValue: Double) {
        switch type {
        case .monthlyReturn, .quarterlyReturn, .yearlyReturn:
            currentValue = startingValue > 0 ? (value / startingValue - 1) * 100 : 0
            progress = target != 0 ? currentValue / target : 0
        case .profitTarget:
            currentValue = value - startingValue
            progress = target != 0 ? currentValue / target : 0
        case .portfolioValue:
            currentValue = value
            progress = target != startingValue ? (value - startingValue) / (target - startingValue) : 1
        case .maxDrawdown:
            let peak = max(peakValue, value)
            currentValue = peak > 0 ? max(0, 1 - value / peak) * 100 : 0
            progress = target > 0 ? currentValue / target : 0
        }
    }

    /// The target as a return on the starting value (what feasibility is judged on).
    public static func targetReturn(type: GoalType, target: Double, startingValue: Double) -> Double {
        switch type {
        case .monthlyReturn, .quarterlyReturn, .yearlyReturn: return target / 100
        case .profitTarget: return startingValue > 0 ? target / startingValue : 0
        case .portfolioValue: return startingValue > 0 ? target / startingValue - 1 : 0
        case .maxDrawdown: return 0
        }
    }
}
