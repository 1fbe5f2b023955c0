import Foundation
@testable import KeelCore
import Testing

@Suite("Sweeps and walk-forward")
struct SweepAndWalkForwardTests {
    @Test func sweepRunsEveryPairInOrderAndRanks() async {
        let series = IndicatorTests.reference.series
        let grid = [5, 10, 15].flatMap { fast in [30, 50].map { (fast, $0) } }
        let results = await ParameterSweep.run(grid, concurrency: 2) { pair -> (Int, Int, Double) in
            var strategy = MovingAverageCrossover(fast: pair.0, slow: pair.1, quantity: 10)
            let result = SignalBacktester(initialCash: 10_000).run(&strategy, series: series)
            return (pair.0, pair.1, PerformanceMetrics(result: result).sharpe)
        }
        #expect(results.map { "\($0.0)-\($0.1)" } == grid.map { "\($0.0)-\($0.1)" }, "results come back in grid order")
        let sequential = grid.map { pair -> Double in
            var strategy = MovingAverageCrossover(fast: pair.0, slow: pair.1, quantity: 10)
            return PerformanceMetrics(result: SignalBacktester(initialCash: 10_000).run(&strategy, series: series)).sharpe
        }
        #expect(zip(results.map(\.2), sequential).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
    }

    @Test func streamingStatisticsEqualTheFullMetrics() {
        let series = IndicatorTests.reference.series
        var a = MovingAverageCrossover(fast: 5, slow: 20, quantity: 50)
        var b = MovingAverageCrossover(fast: 5, slow: 20, quantity: 50)
        let engine = SignalBacktester(execution: .init(commission: .perOrder(1)), initialCash: 20_000)
        let full = PerformanceMetrics(result: engine.run(&a, series: series))
        var statistics = StreamingReturnStatistics()
        let lean = engine.run(&b, series: series, recordEquity: false, statistics: &statistics)
        #expect(lean.equity.count == 1)
        for (name, x, y) in [("sharpe", statistics.sharpe, full.sharpe), ("sortino", statistics.sortino, full.sortino),
                             ("total", statistics.totalReturn, full.totalReturn), ("drawdown", statistics.maxDrawdown, full.maxDrawdown)] {
            #expect(abs(x - y) < 1e-9 * max(1, abs(y)), "\(name): \(x) vs \(y)")
        }
    }

    /// Every length (the returns are summed four at a time, the rest one by one), values that fall, rise, repeat and
    /// touch zero: the streamed figures equal the full ones.
    @Test func streamingStatisticsMatchOnEveryLength() {
        var generator = SeededGenerator(seed: 25)
        for length in 1...40 {
            var equity: [Double] = []
            var value = 1_000.0
            for _ in 0..<length {
                switch generator.nextUnit() {
                case ..<0.1: value = 0
                case ..<0.3: break
                default: value = max(value, 1) * (1 + 0.05 * (generator.nextUnit() - 0.5))
                }
                equity.append(value)
            }
            var statistics = StreamingReturnStatistics()
            for value in equity { statistics.add(value) }
            let full = PerformanceMetrics(equity: equity, barsInMarket: length)
            var figures = [("sharpe", statistics.sharpe, full.sharpe), ("sortino", statistics.sortino, full.sortino),
                           ("drawdown", statistics.maxDrawdown, full.maxDrawdown)]
            // A path through zero (ruin) has no total return both definitions share.
            if !equity.contains(0) { figures.append(("total", statistics.totalReturn, full.totalReturn)) }
            for (name, x, y) in figures {
                #expect((x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(1, abs(y)), "length \(length) \(name): \(x) vs \(y)")
            }
        }
    }

    /// The engine adds the statistics a chunk of bars at a time (two bars to a vector, two lanes of sums): every split
    /// of a path gives the one-by-one figures, the peak and drawdown to the bit, the sums to rounding.
    @Test func chunkedStatisticsEqualOneByOne() {
        var generator = SeededGenerator(seed: 41)
        for trial in 0..<200 {
            let length = trial < 40 ? trial : Int(generator.nextUnit() * 3_000)
            var equity: [Double] = []
            var value = 1_000.0
            for _ in 0..<length {
                switch generator.nextUnit() {
                case ..<0.03: value = 0
                case ..<0.05: value = .nan
                case ..<0.3: break
                default: value = (value.isNaN ? 1_000 : max(value, 1)) * (1 + 0.05 * (generator.nextUnit() - 0.5))
                }
                equity.append(value)
            }
            var single = StreamingReturnStatistics(), chunked = StreamingReturnStatistics()
            for value in equity { single.add(value) }
            equity.withUnsafeBufferPointer { all in
                var start = 0
                while start < all.count {
                    let size = min(all.count - start, 1 + Int(generator.nextUnit() * 700))
                    chunked.add(contentsOf: UnsafeBufferPointer(rebasing: all[start..<(start + size)]))
                    start += size
                }
            }
            #expect(chunked.count == single.count)
            #expect(chunked.maxDrawdown.bitPattern == single.maxDrawdown.bitPattern, "length \(length)")
            #expect(chunked.totalReturn.bitPattern == single.totalReturn.bitPattern, "length \(length)")
            for (name, x, y) in [("sharpe", chunked.sharpe, single.sharpe), ("sortino", chunked.sortino, single.sortino)] {
                #expect((x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(1, abs(y)), "length \(length) \(name): \(x) vs \(y)")
            }
        }
    }

    /// Around the engine's chunk of 512 bars: the streamed run equals the full metrics at every boundary.
    @Test(arguments: [511, 512, 513, 1_024, 1_537])
    func streamedRunAcrossChunkBoundaries(bars: Int) {
        let series = EngineRobustnessPropertyTests.series(symbol: "S", bars: bars, seed: bars, gaps: false)
        var a = MovingAverageCrossover(fast: 3, slow: 9, quantity: 5)
        var b = MovingAverageCrossover(fast: 3, slow: 9, quantity: 5)
        let engine = SignalBacktester(execution: .init(commission: .perOrder(1)), initialCash: 10_000)
        let full = PerformanceMetrics(result: engine.run(&a, series: series))
        var statistics = StreamingReturnStatistics()
        _ = engine.run(&b, series: series, recordEquity: false, statistics: &statistics)
        #expect(statistics.count == bars)
        for (name, x, y) in [("sharpe", statistics.sharpe, full.sharpe), ("sortino", statistics.sortino, full.sortino),
                             ("total", statistics.totalReturn, full.totalReturn), ("drawdown", statistics.maxDrawdown, full.maxDrawdown)] {
            #expect(abs(x - y) < 1e-9 * max(1, abs(y)), "\(bars) bars, \(name): \(x) vs \(y)")
        }
    }

    @Test func walkForwardWindowsAndStitching() {
        let rolling = WalkForward(train: 100, test: 50).windows(count: 300)
        #expect(rolling.map(\.testStart) == [100, 150, 200, 250])
        #expect(rolling.allSatisfy { $0.trainEnd - $0.trainStart == 100 && $0.testStart == $0.trainEnd })
        let expanding = WalkForward(train: 100, test: 50, mode: .expanding).windows(count: 300)
        #expect(expanding.allSatisfy { $0.trainStart == 0 })
        // Two test segments of +10% each stitch to +21%.
        let result = WalkForward(train: 10, test: 2).run(count: 14) { _ in [100, 110] }
        #expect(result.windows.count == 2)
        #expect(abs((result.stitchedEquity.last ?? 0) - 1.21) < 1e-12)
    }

    @Test func portfolioBacktestKeepsTheBooksAndTheLimits() throws {
        let assets = ["AAPL", "MSFT", "JNJ", "TLT", "GLD"].compactMap { ReferenceInstruments.entry(for: $0)?.simulatedAsset }
        let bars = MarketSimulator(configuration: .init(seed: 3, start: CivilDay(year: 2020, month: 1, day: 1).date, calendarDays: 900)).simulate(assets).bars
        let market = AlignedMarket(assets.compactMap { bars[$0.symbol] })
        let constraints = PortfolioConstraints(maxPositions: 3, maxWeight: 0.4, cashBuffer: 0.05)
        let engine = PortfolioBacktester(execution: .init(timing: .nextOpen, commission: .perOrder(1)), initialCash: 100_000, schedule: .monthly,
                                         constraints: constraints, warmUp: 70)
        let output = try engine.run(BalancedStrategy(), market: market)
        #expect(output.targets.count > 20)
        #expect(output.targets.allSatisfy { $0.weights.count <= 3 && $0.weights.values.allSatisfy { $0 <= 0.4 + 1e-9 } })
        #expect(output.result.commissions == Double(output.result.fills))
        #expect(output.result.equity.allSatisfy { $0 > 0 })
        let hold = try engine.run(BuyAndHoldStrategy(), market: market)
        #expect(hold.targets.count > 0)
    }
}
