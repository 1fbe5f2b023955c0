import KeelCore
import Testing

@Suite("Target weights")
struct TargetWeightBuilderTests {
    let signals = [
        SymbolSignal(symbol: "A", expectedReturn: 0.03, score: 2.0, volatility: 0.3),
        SymbolSignal(symbol: "B", expectedReturn: 0.02, score: 1.0, volatility: 0.2),
        SymbolSignal(symbol: "C", expectedReturn: 0.01, score: 0.5, volatility: 0.1),
        SymbolSignal(symbol: "D", expectedReturn: -0.01, score: -0.5, volatility: 0.05),
        SymbolSignal(symbol: "E", expectedReturn: -0.02, score: -1.5, volatility: 0.4),
    ]

    @Test func momentumHoldsOnlyPositiveExpectationsWithinLimits() {
        let constraints = PortfolioConstraints(maxPositions: 2, maxWeight: 0.6, cashBuffer: 0.1)
        let weights = TargetWeightBuilder().targetWeights(strategy: .momentum, signals: signals, constraints: constraints)
        #expect(Set(weights.keys) == ["A", "B"])
        #expect(abs(weights.values.reduce(0, +) - 0.9) < 1e-9)
        #expect(weights.values.allSatisfy { $0 <= 0.6 + 1e-12 })
    }

    @Test func capsRedistributeAndLeaveTheRestInCash() {
        let constraints = PortfolioConstraints(maxPositions: 3, maxWeight: 0.25, cashBuffer: 0)
        let weights = TargetWeightBuilder().targetWeights(strategy: .momentum, signals: signals, constraints: constraints)
        #expect(weights.count == 3)
        #expect(weights.values.allSatisfy { abs($0 - 0.25) < 1e-9 }, "three names capped at 25% leave 25% in cash")
    }

    @Test func exclusionsAreNeverBought() {
        let constraints = PortfolioConstraints(maxPositions: 5, maxWeight: 1, cashBuffer: 0, excludedSymbols: ["A"])
        for strategy in StrategyKind.allCases {
            let weights = TargetWeightBuilder().targetWeights(strategy: strategy, signals: signals, constraints: constraints)
            #expect(weights["A"] == nil, "\(strategy)")
        }
    }

    @Test func lowVolatilityPrefersTheCalmestNames() {
        let constraints = PortfolioConstraints(maxPositions: 2, maxWeight: 1, cashBuffer: 0)
        let weights = TargetWeightBuilder().targetWeights(strategy: .lowVolatility, signals: signals, constraints: constraints)
        #expect(Set(weights.keys) == ["C", "D"])
        #expect((weights["D"] ?? 0) > (weights["C"] ?? 0), "inverse volatility: the calmer name weighs more")
    }

    @Test func balancedBlendsEqualAndInverseVolatility() {
        let constraints = PortfolioConstraints(maxPositions: 2, maxWeight: 1, cashBuffer: 0)
        let weights = TargetWeightBuilder().targetWeights(strategy: .balanced, signals: signals, constraints: constraints)
        // A (vol 0.3) and B (vol 0.2): 0.25 + 0.5 * (1/0.3)/(1/0.3+1/0.2) = 0.45 for A.
        #expect(abs((weights["A"] ?? 0) - 0.45) < 1e-9)
        #expect(abs((weights["B"] ?? 0) - 0.55) < 1e-9)
    }
}
