/// What a financial goal measures. Return goals are percent targets over a period; `max_drawdown` is a
/// limit (a constraint that always wins), not a target.
public enum GoalType: String, Sendable, Codable, CaseIterable {
    case monthlyReturn = "monthly_return"
    case quarterlyReturn = "quarterly_return"
    case yearlyReturn = "yearly_return"
    case profitTarget = "profit_target"
    case portfolioValue = "portfolio_value"
    case maxDrawdown = "max_drawdown"

    public var isConstraint: Bool { self == .maxDrawdown }
}
