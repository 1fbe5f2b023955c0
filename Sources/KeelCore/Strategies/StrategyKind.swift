/// The portfolio-construction styles a model portfolio or a goal can ask for.
public enum StrategyKind: String, Sendable, Codable, CaseIterable {
    case momentum
    case breakout
    case meanReversion = "mean_reversion"
    case balanced
    case lowVolatility = "low_volatility"
    case predictedReturn = "predicted_return"
    /// Target weights from the deployed reinforcement-learning allocation policy.
    case rlPolicy = "rl_policy"
}
