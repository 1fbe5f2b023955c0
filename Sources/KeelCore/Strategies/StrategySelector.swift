import Foundation

/// Chooses an account's strategy for the day from the market regime, its goals' steering, its live record and
/// the advisor's controls, and says why. Pure: the cycle stores what it decided and the reason.
///
/// Order of the rules: an advisor's override; a breached risk limit (de-risk); the regime (defensive in
/// `bear`/`high_volatility`; the deployed model, the goal's momentum/breakout or momentum in `bull`; balanced
/// or the goal's mean reversion in `sideways`); a strategy demoted for underperforming its benchmark is not
/// chosen again while demoted. Switching is damped: an unforced change waits for the minimum holding time and
/// for a regime read with enough confidence. Overrides, de-risking and moving to defensive are forced (safety
/// never waits).
public struct StrategySelector: Sendable {
    public struct Settings: Sendable, Hashable, Codable {
        public var minimumHoldingDays: Double = 5
        public var switchConfidence: Double = 0.55
        /// Exposure kept when a breach de-risks by raising cash.
        public var cashExposure: Double = 0.25

        public init() {}
    }

    public struct Inputs: Sendable, Hashable {
        public var regime: MarketRegime?
        public var regimeConfidence: Double
        public var goalStrategy: StrategyKind?
        public var goalFactor: Double
        public var goalReason: String?
        /// The client's model portfolio's own strategy.
        public var portfolioStrategy: StrategyKind
        /// A return model is deployed in the registry (`predicted_return` can use it).
        public var modelDeployed: Bool
        public var override: StrategyKind?
        public var overrideReason: String?
        public var derisked: Bool
        public var deriskAction: DeriskChoice
        public var deriskReason: String?
        public var current: StrategyKind?
        public var currentSince: Date?
        public var demoted: StrategyKind?
        public var now: Date

        public init(regime: MarketRegime?, regimeConfidence: Double, goalStrategy: StrategyKind?, goalFactor: Double, goalReason: String?,
                    portfolioStrategy: StrategyKind, modelDeployed: Bool, override: StrategyKind?, overrideReason: String?, derisked: Bool,
                    deriskAction: DeriskChoice, deriskReason: String?, current: StrategyKind?, currentSince: Date?, demoted: StrategyKind?, now: Date) {
            self.regime = regime
            self.regimeConfidence = regimeConfidence
            self.goalStrategy = goalStrategy
            self.goalFactor = goalFactor
            self.goalReason = goalReason
            self.portfolioStrategy = portfolioStrategy
            self.modelDeployed = modelDeployed
            self.override = override
            self.overrideReason = overrideReason
            self.derisked = derisked
            self.deriskAction = deriskAction
            self.deriskReason = deriskReason
            self.current = current
            self.currentSince = currentSince
            self.demoted = demoted
            self.now = now
        }
    }

    public enum DeriskChoice: String, Sendable, Hashable, Codable {
        case defensive, cash
    }

    public struct Decision: Sendable, Hashable, Codable {
        public var strategy: StrategyKind
        /// Plan on the defensive model portfolio instead of the client's own.
        public var defensivePortfolio: Bool
        /// The risk factor the batch is sized with (the goals' factor, or less when de-risked).
        public var riskFactor: Double
        public var rule: String
        public var reason: String
        public var forced: Bool
        /// The strategy differs from the one running before.
        public var switched: Bool
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func select(_ inputs: Inputs) -> Decision {
        let factor = inputs.goalFactor.isFinite ? max(inputs.goalFactor, 0) : 1
        func decided(_ strategy: StrategyKind, defensive: Bool = false, factor: Double, rule: String, reason: String, forced: Bool) -> Decision {
            Decision(strategy: strategy, defensivePortfolio: defensive, riskFactor: factor, rule: rule, reason: reason, forced: forced,
                     switched: inputs.current.map { $0 != strategy } ?? true)
        }
        if let override = inputs.override {
            return decided(override, defensive: override == .lowVolatility, factor: factor, rule: "override",
                           reason: "advisor override to \(override.rawValue)" + (inputs.overrideReason.map { ": \($0)" } ?? ""), forced: true)
        }
        if inputs.derisked {
            let why = inputs.deriskReason ?? "a risk limit was breached"
            switch inputs.deriskAction {
            case .defensive:
                return decided(.lowVolatility, defensive: true, factor: min(factor, 1), rule: "risk_limit",
                               reason: "de-risked to the defensive portfolio: \(why)", forced: true)
            case .cash:
                let base = inputs.current ?? inputs.portfolioStrategy
                return decided(base, factor: min(factor, 1) * settings.cashExposure, rule: "risk_limit",
                               reason: String(format: "de-risked to %.0f%% exposure, the rest in cash: %@", settings.cashExposure * 100, why), forced: true)
            }
        }
        guard let regime = inputs.regime else {
            return decided(inputs.goalStrategy ?? inputs.portfolioStrategy, factor: factor, rule: "no_regime",
                           reason: "no regime could be computed (too little market history): the goal's or the model portfolio's strategy", forced: false)
        }
        let confidence = String(format: "%.2f", inputs.regimeConfidence)
        var candidate: StrategyKind
        var reason: String
        switch regime {
        case .bear, .highVolatility:
            return decided(.lowVolatility, defensive: true, factor: min(factor, 1), rule: "regime",
                           reason: "\(regime.rawValue) regime (confidence \(confidence)): defensive low-volatility portfolio", forced: true)
        case .bull:
            if let goal = inputs.goalStrategy, goal == .momentum || goal == .breakout || goal == .meanReversion {
                candidate = goal
                reason = "bull regime (confidence \(confidence)); the goal asks for \(goal.rawValue)" + (inputs.goalReason.map { " (\($0))" } ?? "")
            } else if inputs.portfolioStrategy == .rlPolicy {
                candidate = .rlPolicy
                reason = "bull regime (confidence \(confidence)): the deployed RL policy of the model portfolio"
            } else if inputs.modelDeployed {
                candidate = .predictedReturn
                reason = "bull regime (confidence \(confidence)): the deployed return model"
            } else {
                candidate = .momentum
                reason = "bull regime (confidence \(confidence)), no return model deployed: momentum"
            }
        case .sideways:
            if inputs.goalStrategy == .meanReversion {
                candidate = .meanReversion
                reason = "sideways regime (confidence \(confidence)); near the goal: mean reversion"
            } else {
                candidate = .balanced
                reason = "sideways regime (confidence \(confidence)): balanced"
                    + (inputs.goalStrategy.map { $0 != .balanced ? " (the goal's \($0.rawValue) waits for a trend)" : "" } ?? "")
            }
        }
        if let demoted = inputs.demoted, demoted == candidate {
            let fallback: StrategyKind = candidate == .balanced ? .lowVolatility : .balanced
            reason += "; \(candidate.rawValue) is demoted for underperforming its benchmark: \(fallback.rawValue) instead"
            candidate = fallback
        }
        // Damping: an unforced switch waits for the holding time and a confident regime.
        if let current = inputs.current, current != candidate {
            let held = inputs.currentSince.map { inputs.now.timeIntervalSince($0) / 86_400 } ?? .infinity
            let demotedCurrent = inputs.demoted == current
            if !demotedCurrent, held < settings.minimumHoldingDays {
                return decided(current, defensive: current == .lowVolatility, factor: factor, rule: "minimum_holding",
                               reason: String(format: "kept %@: held %.1f of the minimum %.0f days (wanted %@: %@)", current.rawValue, held,
                                              settings.minimumHoldingDays, candidate.rawValue, reason), forced: false)
            }
            if !demotedCurrent, inputs.regimeConfidence < settings.switchConfidence {
                return decided(current, defensive: current == .lowVolatility, factor: factor, rule: "low_confidence",
                               reason: "kept \(current.rawValue): regime confidence \(confidence) is below \(settings.switchConfidence) (wanted \(candidate.rawValue))",
                               forced: false)
            }
        }
        return decided(candidate, factor: factor, rule: "regime", reason: reason, forced: false)
    }
}
