import Foundation
import KeelCore
import Testing

@Suite("Backtester")
struct BacktesterTests {
    /// Five bars with round prices, checkable by hand.
    static let bars: BarSeries = {
        var s = BarSeries(symbol: "X")
        let rows: [(Double, Double, Double, Double, Double)] = [
            (100, 102, 99, 101, 1000), (101, 105, 100, 104, 1000), (104, 106, 103, 105, 2000), (105, 105, 98, 99, 1000), (99, 100, 97, 98, 1000),
        ]
        for (i, r) in rows.enumerated() {
            s.append(timestamp: Date(timeIntervalSince1970: Double(i) * 86_400), open: r.0, high: r.1, low: r.2, close: r.3, volume: r.4)
        }
        return s
    }()

    /// Buys 10 on bar 1, sells everything on bar 3.
    struct Script: SignalStrategy {
        var plan: [Int: SignalDecision]
        mutating func decide(_ bars: BarWindow) -> SignalDecision { plan[bars.current] ?? .hold }
    }

    @Test func fillsAtCloseWithPerOrderCommissionToTheCent() {
        var strategy = Script(plan: [1: .target(10), 3: .target(0)])
        let result = SignalBacktester(execution: .init(timing: .close, commission: .perOrder(1)), initialCash: 10_000).run(&strategy, series: Self.bars)
        // Buy 10 @ 104 + 1, sell 10 @ 99 - 1: cash 10,000 - 1,041 + 989 = 9,948.
        #expect(result.finalEquity == 9_948)
        #expect(result.equity == [10_000, 9_999, 10_009, 9_948, 9_948])
        #expect(result.fills == 2 && result.commissions == 2)
        #expect(result.trades.count == 1)
        #expect(result.trades[0].profitLoss == -52)
        #expect(result.barsInMarket == 2)
    }

    @Test func fillsAtNextOpenWithSlippage() {
        var strategy = Script(plan: [1: .target(10), 3: .target(0)])
        let execution = ExecutionModel(timing: .nextOpen, slippage: .fixedBasisPoints(100), commission: .none)
        let result = SignalBacktester(execution: execution, initialCash: 10_000).run(&strategy, series: Self.bars)
        // Buy at bar 2's open 104 + 1% = 105.04; sell at bar 4's open 99 - 1% = 98.01.
        #expect(abs(result.trades[0].entryPrice - 105.04) < 1e-9)
        #expect(abs(result.trades[0].exitPrice - 98.01) < 1e-9)
        #expect(abs(result.finalEquity - (10_000 - 1_050.4 + 980.1)) < 1e-9)
    }

    @Test func limitAndStopOrdersWaitForTheirPrice() {
        // A buy limit at 99.5 placed on bar 0 fills on bar 3 (low 98) at min(open 105, 99.5) = 99.5.
        var limit = Script(plan: [0: .order(.limit(99.5), quantity: 10)])
        let limited = SignalBacktester(initialCash: 10_000).run(&limit, series: Self.bars)
        #expect(limited.fills == 1)
        #expect(limited.finalEquity == 10_000 - 995 + 980)
        // Without a stop, a buy on bar 2 stays open to the end.
        var unprotected = Script(plan: [2: .target(10)])
        let bought = SignalBacktester(initialCash: 10_000).run(&unprotected, series: Self.bars)
        #expect(bought.fills == 1)
        // A sell stop at 100 placed on bar 2 after buying on bar 1 triggers on bar 3 (low 98) at min(open 105, 100) = 100.
        var protected = Script(plan: [1: .target(10), 2: .order(.stop(100), quantity: -10)])
        let stopped = SignalBacktester(initialCash: 10_000).run(&protected, series: Self.bars)
        #expect(stopped.fills == 2)
        #expect(stopped.trades.first?.exitPrice == 100)
        #expect(stopped.finalEquity == 10_000 - 1_040 + 1_000)
    }

    @Test func commissionModels() {
        #expect(CommissionModel.perShare(0.005, minimum: 1).commission(quantity: 100, price: 50) == 1)
        #expect(CommissionModel.perShare(0.005, minimum: 1).commission(quantity: 1000, price: 50) == 5)
        #expect(CommissionModel.basisPoints(10).commission(quantity: -20, price: 50) == 1)
        #expect(CommissionModel.schwabEquities.commission(quantity: 100, price: 500) == 0, "no commission on buys")
        // Selling 100 @ 500 = 50,000: SEC fee 1.39, FINRA TAF 0.0166 -> 0.02.
        #expect(abs(CommissionModel.schwabEquities.commission(quantity: -100, price: 500) - 1.41) < 1e-9)
        #expect(CommissionModel.crypto(basisPoints: 25).commission(quantity: 0.5, price: 60_000) == 75)
        #expect(SlippageModel.volumeShare(impact: 0.1, maxImpact: 0.02).price(reference: 100, quantity: 100, volume: 1000) == 101)
        #expect(SlippageModel.volumeShare(impact: 0.1, maxImpact: 0.02).price(reference: 100, quantity: -1000, volume: 1000) == 98)
    }

    /// A strategy that peeks at the next bar's close to trade on it.
    struct Cheater: SignalStrategy {
        var sawFuture: [Double] = []
        mutating func decide(_ bars: BarWindow) -> SignalDecision {
            let future = bars.close(bars.current + 1)
            sawFuture.append(future)
            return future > bars.close(bars.current) ? .target(10) : .target(0)
        }
    }

    @Test func aStrategyCannotReadAFutureBar() {
        var cheater = Cheater()
        let result = SignalBacktester(initialCash: 10_000).run(&cheater, series: Self.bars)
        #expect(cheater.sawFuture.allSatisfy { $0.isNaN })
        #expect(result.fills == 0, "a NaN future never looks better than the present")
    }

    @Test func crossoverMatchesAHandLoop() {
        let series = IndicatorTests.reference.series
        var strategy = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
        let result = SignalBacktester(execution: .init(commission: .perOrder(1)), initialCash: 1e6).run(&strategy, series: series)
        // The rules of bench-reference/crossover.c, written out plainly.
        var fast = 0.0, slow = 0.0, cash = 1e6, position = 0.0, fills = 0
        let c = series.close
        for t in 0..<c.count {
            fast += c[t]; slow += c[t]
            if t >= 10 { fast -= c[t - 10] }
            if t >= 30 { slow -= c[t - 30] }
            if t >= 29 && t <= c.count - 2 {
                let long = fast / 10 > slow / 30
                if long && position == 0 { position = 100; cash -= 100 * c[t] + 1; fills += 1 }
                else if !long && position > 0 { cash += 100 * c[t] - 1; position = 0; fills += 1 }
            }
        }
        #expect(result.fills == fills)
        #expect(result.finalEquity == cash + position * c[c.count - 1])
    }
}
