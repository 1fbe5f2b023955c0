import Foundation
import KeelCore
import Testing

/// The autonomous cycle's pure decisions: strategy by regime, goals and controls with damping; risk limits;
/// market hours and the daily schedule's inputs.
@Suite("Strategy selection and account risk")
struct StrategySelectionTests {
    static let now = ISO8601DateFormatter().date(from: "2026-06-01T20:30:00Z")!

    func inputs(_ regime: MarketRegime?, confidence: Double = 0.8, goal: StrategyKind? = nil, current: StrategyKind? = nil,
                heldDays: Double = 30, override: StrategyKind? = nil, derisked: Bool = false, demoted: StrategyKind? = nil,
                modelDeployed: Bool = false, action: StrategySelector.DeriskChoice = .defensive) -> StrategySelector.Inputs {
        StrategySelector.Inputs(regime: regime, regimeConfidence: confidence, goalStrategy: goal, goalFactor: 1.5, goalReason: "behind",
                                portfolioStrategy: .momentum, modelDeployed: modelDeployed, override: override, overrideReason: "client call",
                                derisked: derisked, deriskAction: action, deriskReason: "drawdown", current: current,
                                currentSince: Self.now.addingTimeInterval(-heldDays * 86_400), demoted: demoted, now: Self.now)
    }

    @Test func theRegimeChoosesTheFamily() {
        let selector = StrategySelector()
        #expect(selector.select(inputs(.bull)).strategy == .momentum)
        #expect(selector.select(inputs(.bull, modelDeployed: true)).strategy == .predictedReturn)
        #expect(selector.select(inputs(.bull, goal: .breakout)).strategy == .breakout)
        #expect(selector.select(inputs(.sideways)).strategy == .balanced)
        #expect(selector.select(inputs(.sideways, goal: .meanReversion)).strategy == .meanReversion)
        let bear = selector.select(inputs(.bear, current: .momentum, heldDays: 1))
        #expect(bear.strategy == .lowVolatility && bear.defensivePortfolio && bear.forced, "defensive moves never wait")
        #expect(bear.riskFactor <= 1, "no leverage-like sizing in a bear market")
        #expect(selector.select(inputs(.highVolatility)).strategy == .lowVolatility)
        #expect(selector.select(inputs(nil)).rule == "no_regime")
    }

    @Test func switchingIsDampedByHoldingTimeAndConfidence() {
        let selector = StrategySelector()
        let early = selector.select(inputs(.bull, current: .lowVolatility, heldDays: 2))
        #expect(early.strategy == .lowVolatility && early.rule == "minimum_holding" && !early.switched)
        let unsure = selector.select(inputs(.bull, confidence: 0.4, current: .lowVolatility, heldDays: 10))
        #expect(unsure.strategy == .lowVolatility && unsure.rule == "low_confidence")
        let switched = selector.select(inputs(.bull, current: .lowVolatility, heldDays: 10))
        #expect(switched.strategy == .momentum && switched.switched)
    }

    @Test func overridesAndDeriskingComeFirstAndDemotionIsRespected() {
        let selector = StrategySelector()
        let overridden = selector.select(inputs(.bear, override: .momentum))
        #expect(overridden.strategy == .momentum && overridden.rule == "override" && overridden.reason.contains("client call"))
        let derisked = selector.select(inputs(.bull, derisked: true))
        #expect(derisked.strategy == .lowVolatility && derisked.rule == "risk_limit" && derisked.defensivePortfolio)
        let cash = selector.select(inputs(.bull, current: .momentum, derisked: true, action: .cash))
        #expect(cash.strategy == .momentum && cash.riskFactor == 0.25, "a quarter of the exposure; the rest stays in cash")
        let demoted = selector.select(inputs(.bull, current: .momentum, heldDays: 1, demoted: .momentum))
        #expect(demoted.strategy == .balanced && demoted.reason.contains("demoted"), "a demoted strategy is left even inside the holding time")
    }

    @Test func riskLimitsBreachAndRecoverByTheStatedRule() {
        let monitor = AccountRiskMonitor(maxDrawdown: 0.10, maxVolatility: nil)
        let falling = monitor.assess(values: [100, 105, 110, 95], currentlyDerisked: false)
        #expect(falling.breached && falling.drawdown < -0.13)
        let partly = monitor.assess(values: [100, 110, 95, 102], currentlyDerisked: true)
        #expect(!partly.breached && !partly.recovered, "7 % below the peak is within the limit but not within half of it")
        let back = monitor.assess(values: [100, 110, 95, 106], currentlyDerisked: true)
        #expect(back.recovered, "within 5 % of the peak: recovered")
        let short = AccountRiskMonitor(maxDrawdown: nil, maxVolatility: 0.2).assess(values: [100, 130, 90], currentlyDerisked: false)
        #expect(short.volatility == nil && !short.breached, "too few days to judge volatility")
        var values: [Double] = [100]
        for day in 0..<30 { values.append(values.last! * (day % 2 == 0 ? 1.05 : 0.96)) }
        #expect(AccountRiskMonitor(maxDrawdown: nil, maxVolatility: 0.2).assess(values: values, currentlyDerisked: false).breached)
        #expect(AccountRiskMonitor(maxDrawdown: 0.1, maxVolatility: 0.2).assess(values: [], currentlyDerisked: false).breached == false)
        // A slow bleed: 7.5% over the last 60 days, 23% from the mark set 200 days ago.
        let bleed = (0..<200).map { 130_000 * pow(100_500.0 / 130_000, Double($0) / 199) }
        #expect(!monitor.assess(values: Array(bleed.suffix(60)), currentlyDerisked: false).breached, "a 60-day window alone misses it")
        let judged = monitor.assess(values: Array(bleed.suffix(21)), highWaterMark: 130_000, currentlyDerisked: false)
        #expect(judged.breached && judged.drawdown < -0.2, "\(judged)")
        #expect(!monitor.assess(values: [200_000, 101_000, 100_500], highWaterMark: 101_000, currentlyDerisked: false).breached,
                "the mark, not an older peak in the values, decides")
    }

    @Test func liveRecordAgainstTheBenchmark() {
        let record = LivePerformance(returns: [0.01, -0.02, 0.005], benchmark: [0.02, 0.0, nil])
        #expect(abs(record.totalReturn - (1.01 * 0.98 * 1.005 - 1)) < 1e-12)
        #expect(abs((record.excessReturn ?? 0) - (record.totalReturn - 0.02)) < 1e-12)
        #expect(record.maxDrawdown < 0)
        #expect(LivePerformance(returns: [], benchmark: []).sharpe == nil)
        // Demotion evidence: a 3% gap over 10 noisy days is about one standard deviation, not a significant trail.
        var generator = SeededGenerator(seed: 12)
        let benchmark = (0..<10).map { _ in 0.01 * generator.nextNormal() }
        let gap = benchmark.map { $0 - 0.003 + 0.01 * generator.nextNormal() }
        let short = LivePerformance(returns: gap, benchmark: benchmark)
        #expect((short.excessTStatistic ?? 0) > -2, "10 days, 0.3%/day behind with 1% tracking noise: t \(short.excessTStatistic ?? 0)")
        let longBenchmark = (0..<120).map { _ in 0.01 * generator.nextNormal() }
        let trailing = LivePerformance(returns: longBenchmark.map { $0 - 0.003 + 0.01 * generator.nextNormal() }, benchmark: longBenchmark)
        #expect((trailing.excessTStatistic ?? 0) < -2 && (trailing.informationRatio ?? 0) < -2, "120 days of the same trail: \(trailing)")
    }

    @Test func marketHoursFollowTheNYSECalendar() {
        let hours = MarketHours(calendar: .nyse)
        let date = { (text: String) in ISO8601DateFormatter().date(from: text)! }
        #expect(hours.isOpen(at: date("2026-06-01T13:30:00Z")), "09:30 New York (EDT)")
        #expect(!hours.isOpen(at: date("2026-06-01T13:29:00Z")))
        #expect(!hours.isOpen(at: date("2026-06-01T20:00:00Z")), "16:00 New York: closed")
        #expect(hours.isOpen(at: date("2026-01-05T14:30:00Z")) && !hours.isOpen(at: date("2026-01-05T14:29:00Z")), "09:30 EST in winter")
        #expect(!hours.isOpen(at: date("2026-05-30T15:00:00Z")), "Saturday")
        #expect(!hours.isOpen(at: date("2026-12-25T15:00:00Z")), "Christmas")
        #expect(!hours.isOpen(at: date("2026-11-27T18:30:00Z")), "the day after Thanksgiving closes at 13:00")
        #expect(hours.nextOpen(after: date("2026-05-30T15:00:00Z")) == date("2026-06-01T13:30:00Z"))
        #expect(MarketHours(calendar: .alwaysOpen).isOpen(at: date("2026-05-30T03:00:00Z")))
    }
}
