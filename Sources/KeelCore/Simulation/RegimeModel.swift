/// A Markov chain over market regimes: each regime has its own market drift and volatility factor, and
/// regimes persist for weeks to months as they do in real markets.
public struct RegimeModel: Sendable {
    public struct Parameters: Sendable {
        public var annualMarketDrift: Double
        public var volatilityMultiplier: Double
        public init(annualMarketDrift: Double, volatilityMultiplier: Double) {
            self.annualMarketDrift = annualMarketDrift
            self.volatilityMultiplier = volatilityMultiplier
        }
    }

    public var parameters: [MarketRegime: Parameters]
    /// Probability of staying in the current regime from one day to the next.
    public var dailyPersistence: [MarketRegime: Double]
    /// Relative weights of the regimes entered when a regime ends.
    public var exitWeights: [MarketRegime: [MarketRegime: Double]]

    public init(parameters: [MarketRegime: Parameters], dailyPersistence: [MarketRegime: Double],
                exitWeights: [MarketRegime: [MarketRegime: Double]]) {
        self.parameters = parameters
        self.dailyPersistence = dailyPersistence
        self.exitWeights = exitWeights
    }

    /// Calibrated loosely on US equity history: long calm bull runs, shorter bear and turbulent spells.
    public static let standard = RegimeModel(
        parameters: [
            .bull: .init(annualMarketDrift: 0.16, volatilityMultiplier: 0.85),
            .sideways: .init(annualMarketDrift: 0.02, volatilityMultiplier: 0.75),
            .bear: .init(annualMarketDrift: -0.25, volatilityMultiplier: 1.4),
            .highVolatility: .init(annualMarketDrift: -0.05, volatilityMultiplier: 2.2),
        ],
        dailyPersistence: [.bull: 0.99, .sideways: 0.985, .bear: 0.975, .highVolatility: 0.96],
        exitWeights: [
            .bull: [.sideways: 0.5, .highVolatility: 0.3, .bear: 0.2],
            .sideways: [.bull: 0.6, .bear: 0.25, .highVolatility: 0.15],
            .bear: [.highVolatility: 0.4, .sideways: 0.35, .bull: 0.25],
            .highVolatility: [.bear: 0.4, .bull: 0.3, .sideways: 0.3],
        ]
    )

    public func next(after regime: MarketRegime, using generator: inout SeededGenerator) -> MarketRegime {
        if generator.nextUnit() < dailyPersistence[regime, default: 0.98] { return regime }
        let weights = exitWeights[regime] ?? [:]
        let total = weights.values.reduce(0, +)
        guard total > 0 else { return regime }
        var draw = generator.nextUnit() * total
        // Iterate in a fixed order so a seed always picks the same regime.
        for candidate in MarketRegime.allCases {
            guard let weight = weights[candidate] else { continue }
            draw -= weight
            if draw <= 0 { return candidate }
        }
        return regime
    }
}
