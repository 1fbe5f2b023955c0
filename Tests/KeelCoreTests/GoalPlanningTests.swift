import Foundation
import KeelCore
import Testing

@Suite("Goal measurement, periods, risk scaling and replay")
struct GoalPlanningTests {
    let june15 = ISO8601DateFormatter().date(from: "2026-06-15T12:00:00Z")!

    @Test func measurementPerGoalType() {
        let monthly = GoalMeasurement(type: .monthlyReturn, target: 5, startingValue: 10_000, value: 10_200, peakValue: 10_200)
        #expect(abs(monthly.currentValue - 2) < 1e-9 && abs(monthly.progress - 0.4) < 1e-9)
        let profit = GoalMeasurement(type: .profitTarget, target: 1_000, startingValue: 10_000, value: 10_250, peakValue: 10_250)
        #expect(profit.currentValue == 250 && profit.progress == 0.25)
        let value = GoalMeasurement(type: .portfolioValue, target: 12_000, startingValue: 10_000, value: 11_500, peakValue: 11_500)
        #expect(value.currentValue == 11_500 && value.progress == 0.75)
        let drawdown = GoalMeasurement(type: .maxDrawdown, target: 10, startingValue: 10_000, value: 8_900, peakValue: 10_400)
        #expect(abs(drawdown.currentValue - (1 - 8_900.0 / 10_400) * 100) < 1e-9 && drawdown.progress > 1, "breached")
        #expect(GoalMeasurement.targetReturn(type: .profitTarget, target: 500, startingValue: 10_000) == 0.05)
    }

    @Test func periodsAndTradingDaysLeft() throws {
        let month = try #require(GoalPeriod.calendarPeriod(of: .monthlyReturn, containing: june15))
        #expect(CivilDay(month.start).description == "2026-06-01" && CivilDay(month.end).description == "2026-07-01")
        let quarter = try #require(GoalPeriod.calendarPeriod(of: .quarterlyReturn, containing: june15))
        #expect(CivilDay(quarter.start).description == "2026-04-01" && CivilDay(quarter.end).description == "2026-07-01")
        let monday29 = ISO8601DateFormatter().date(from: "2026-06-29T14:00:00Z")!
        #expect(month.tradingDaysLeft(at: monday29) == 2, "the 29th and the 30th")
        #expect(month.tradingDaysLeft(at: monday29, calendar: .alwaysOpen) == 2)
        #expect(month.tradingDaysLeft(at: month.end) == 0)
        #expect(abs(month.elapsed(at: june15) - (14.5 / 30)) < 1e-9)
        #expect(GoalPeriod.calendarPeriod(of: .profitTarget, containing: june15) == nil)
    }

    @Test func riskScalingStaysInsideTheClientsLimits() {
        let constraints = PortfolioConstraints(maxPositions: 10, maxWeight: 0.2, cashBuffer: 0.05)
        #expect(GoalRiskScaling.constraints(constraints, factor: 1.5).maxPositions == 7, "more risk: fewer, larger positions")
        #expect(GoalRiskScaling.constraints(constraints, factor: 0.5) == constraints)
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<200 {
            let symbols = (0..<8).map { "S\($0)" }
            let targets = Dictionary(uniqueKeysWithValues: symbols.map { ($0, Double(generator.next() % 300) / 1000) })
            let current = Dictionary(uniqueKeysWithValues: symbols.map { ($0, Double(generator.next() % 200) / 1000) })
            let factor = Double(generator.next() % 200) / 100
            let scaled = GoalRiskScaling.weights(targets, factor: factor, current: current, constraints: constraints)
            #expect(scaled.values.allSatisfy { $0 > 0 && $0 <= 0.2 + 1e-12 }, "never above the maximum weight")
            #expect(scaled.values.reduce(0, +) <= 0.95 + 1e-9, "never into the cash buffer")
            if factor < 1 {
                #expect(scaled.values.reduce(0, +) <= targets.values.map { min($0, 0.2) }.reduce(0, +) * factor + 1e-9, "less exposure")
            }
        }
        let noNewRisk = GoalRiskScaling.weights(["A": 0.2, "B": 0.1], factor: 0, current: ["A": 0.05, "C": 0.1], constraints: constraints)
        #expect(noNewRisk == ["A": 0.05], "factor 0: nothing grows; B is not bought, C is left to be sold")
    }

    @Test func aGoalReplayMovesRiskWithinEachPeriodAndDiffersFromConstantSizing() throws {
        let start = ISO8601DateFormatter().date(from: "2022-01-03T00:00:00Z")!
        let assets = ["SPY", "AAPL", "MSFT", "NVDA", "TLT", "GLD"].compactMap { ReferenceInstruments.entry(for: $0)?.simulatedAsset }
        let bars = MarketSimulator(configuration: .init(seed: 5, start: start, calendarDays: 900)).simulate(assets).bars
        let market = AlignedMarket(Array(bars.values).sorted { $0.symbol < $1.symbol })
        let engine = PortfolioBacktester(schedule: .everyBars(5), constraints: PortfolioConstraints(maxPositions: 4, maxWeight: 0.35, cashBuffer: 0.02))
        let strategy = MomentumStrategy(lookback: 63, skip: 5)
        let aware = try engine.run(strategy, market: market, sizing: GoalReplayPolicy(type: .monthlyReturn, target: 3))
        let constant = try engine.run(strategy, market: market)
        let factors = aware.factors.map(\.factor)
        #expect(!factors.isEmpty && factors.allSatisfy { $0 >= 0 && $0 <= 1.5 })
        #expect(Set(factors.map { ($0 * 100).rounded() }).count > 3, "the factor moves with progress: \(Set(factors))")
        #expect(constant.factors.allSatisfy { $0.factor == 1 })
        #expect(aware.result.equity != constant.result.equity)
        // The first rebalance of every month starts the period at 0% progress: more risk.
        var month = -1
        for (date, factor) in aware.factors {
            let m = CivilDay(date).components.month
            if m != month { #expect(factor == 1.5, "\(date)") }
            month = m
        }
        let periods = GoalReplayPolicy.periodReturns(type: .monthlyReturn, timestamps: constant.result.timestamps, equity: constant.result.equity)
        let compounded = periods.reduce(1.0) { $0 * (1 + $1.periodReturn) }
        #expect(abs(compounded - constant.result.equity.last! / constant.result.equity.first!) < 1e-9, "period returns chain to the whole")
    }
}
