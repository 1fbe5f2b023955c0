import Foundation
import KeelCore
import PropertyBased
import Testing

/// Random and extreme parameters against every portfolio strategy and the backtester, on short, gappy and
/// duplicated histories: the engine must answer (finite weights inside the constraints), never trap.
@Suite("Engine robustness (property-based)")
struct EngineRobustnessPropertyTests {
    static let extremes = [Int.min, -1, 0, 1, 2, 3, 20, 21, 22, 252, 10_081, Int.max - 1, Int.max]

    static func series(symbol: String, bars: Int, seed: Int, gaps: Bool = true) -> BarSeries {
        var generator = SeededGenerator(seed: UInt64(truncatingIfNeeded: seed))
        let start = Date(timeIntervalSince1970: 1_600_000_000)
        var closes: [Double] = [], times: [Date] = []
        var price = 100.0
        for day in 0..<bars {
            price *= 1 + Double.random(in: -0.05...0.05, using: &generator)
            // Gaps and non-positive prints happen in real feeds; the engine must cope with both.
            closes.append(gaps && Int.random(in: 0..<20, using: &generator) == 0 ? .nan : max(price, 0.01))
            times.append(start.addingTimeInterval(Double(day) * 86_400))
        }
        return BarSeries(symbol: symbol, timestamps: times, open: closes, high: closes, low: closes, close: closes,
                         volume: [Double](repeating: 1_000, count: bars))
    }

    @Test("strategies and the backtester answer for any window, history length and symbol list")
    func anyParameters() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...(Self.extremes.count - 1)), Gen.int(in: .min ... .max),
                            Gen.int(in: 0...80), Gen.int(in: 0...3), Gen.int(in: .min ... .max)) { pick, random, bars, duplicates, seed in
            let window = pick % 2 == 0 ? Self.extremes[pick] : random
            var series = (0..<3).map { Self.series(symbol: "S\($0)", bars: bars, seed: seed &+ $0) }
            // The same symbol more than once, as a careless request would send it.
            for _ in 0..<duplicates { series.append(series[0]) }
            let market = AlignedMarket(series)
            let constraints = PortfolioConstraints(maxPositions: max(1, abs(random % 12)), maxWeight: 0.3, cashBuffer: 0.05)
            let strategies: [any PortfolioStrategy] = [
                MomentumStrategy(lookback: window, skip: random), BreakoutStrategy(window: window), MeanReversionStrategy(window: window),
                BalancedStrategy(inverseVolatility: true), BalancedStrategy(inverseVolatility: false), BuyAndHoldStrategy(),
            ]
            for strategy in strategies {
                let backtester = PortfolioBacktester(constraints: constraints, warmUp: min(max(window, 0), 252))
                let output = try backtester.run(strategy, market: market)
                let finite = output.result.equity.allSatisfy { $0.isFinite }
                #expect(finite, "\(strategy.name) window \(window): equity must stay finite")
                for (_, weights) in output.targets {
                    #expect(weights.values.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 + 1e-9 }, "\(strategy.name): \(weights)")
                    #expect(weights.values.reduce(0, +) <= 1 + 1e-9, "\(strategy.name) invests at most everything")
                }
            }
        }
    }

    @Test("the crossover engine and a sweep answer for any fast and slow period")
    func anyCrossover() async {
        await propertyCheck(count: 200, input: Gen.int(in: .min ... .max), Gen.int(in: .min ... .max), Gen.int(in: 0...60), Gen.bool) { fast, slow, bars, exponential in
            let series = Self.series(symbol: "X", bars: bars, seed: fast ^ slow, gaps: false)
            let pairs = [(fast, slow), (Self.extremes[abs(fast % Self.extremes.count)], Self.extremes[abs(slow % Self.extremes.count)])]
            let results = await ParameterSweep.run(pairs, concurrency: 2) { pair -> Double in
                var strategy = MovingAverageCrossover(fast: pair.0, slow: pair.1, quantity: 10, exponential: exponential)
                return SignalBacktester(initialCash: 10_000).run(&strategy, series: series).finalEquity
            }
            #expect(results.count == 2)
            #expect(results.allSatisfy { $0.isFinite }, "\(results)")
        }
    }
}
