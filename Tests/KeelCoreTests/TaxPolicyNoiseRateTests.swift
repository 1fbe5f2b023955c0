import Foundation
import KeelCore
import Testing

/// The tax-aware policy against the naive one over many seeded noise markets, not one lucky draw: on markets where no
/// strategy has an edge, the rules must not cost on average (what they change in the book must not be paid for in
/// return), for each of the four strategies the history check replays.
@Suite("Tax policy over seeded markets")
struct TaxPolicyNoiseRateTests {
    @Test func theTaxAwarePolicyIsNotBehindOnAverageOnNoise() throws {
        let strategies: [(String, any PortfolioStrategy)] = [("momentum", MomentumStrategy(lookback: 126, skip: 21)),
                                                             ("balanced", BalancedStrategy(inverseVolatility: true)),
                                                             ("equal-weight", BalancedStrategy(inverseVolatility: false)),
                                                             ("mean-reversion", MeanReversionStrategy(window: 20))]
        for (name, strategy) in strategies {
            var gaps: [Double] = []
            for seed in 1...40 {
                let market = AlignedMarket(PlantedSignalMarket.histories(symbols: 12, days: 1_000, signal: false, seed: UInt64(seed)))
                var engine = PortfolioBacktester(execution: ExecutionModel(timing: .nextOpen, slippage: .fixedBasisPoints(5), commission: .none),
                                                 initialCash: 100_000, schedule: .monthly,
                                                 constraints: PortfolioConstraints(maxPositions: 6, maxWeight: 0.25, cashBuffer: 0.02), warmUp: 130)
                engine.tax = TaxReplay(settings: .init(), aware: false)
                let naive = try #require(try engine.run(strategy, market: market).tax?.afterTaxFromAccountLiquidatedFinal)
                engine.tax = TaxReplay(settings: .init(), aware: true)
                let aware = try #require(try engine.run(strategy, market: market).tax?.afterTaxFromAccountLiquidatedFinal)
                gaps.append((aware - naive) / 1_000)  // in points of the starting 100,000
            }
            let mean = gaps.reduce(0, +) / Double(gaps.count)
            let sd = (gaps.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(gaps.count - 1)).squareRoot()
            let t = mean / max(sd, 1e-12) * Double(gaps.count).squareRoot()
            // Measured when written: t 3.8 (momentum), 0.8 (balanced), 0.8 (equal-weight), −0.8 (mean-reversion).
            #expect(t > -2, "\(name): mean \(mean) points, sd \(sd), t \(t)")
        }
    }
}
