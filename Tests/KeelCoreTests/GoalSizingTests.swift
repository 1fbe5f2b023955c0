import KeelCore
import Testing

@Suite("Goal sizing")
struct GoalSizingTests {
    let sizing = GoalSizing()

    func factor(_ progress: Double, elapsed: Double = 0.5, daysLeft: Int = 10, target: Double = 0.05) -> GoalSizing.Decision {
        sizing.decide(.init(progress: progress, elapsed: elapsed, tradingDaysLeft: daysLeft, targetReturn: target))
    }

    @Test func theRequiredPoints() {
        #expect(factor(0).factor >= 1 && factor(0.25).factor >= 1)
        #expect(abs(factor(0.5).factor - 1) < 1e-9)
        #expect(factor(0.8).factor <= 1 && factor(0.95).factor <= 1)
        #expect(factor(1.0).factor == 0, "no new risk once reached")
        #expect(sizing.decide(.init(progress: 1.2, elapsed: 0.5, tradingDaysLeft: 5, targetReturn: 0.05, continueAfterAchieved: true)).factor == 1)
    }

    @Test func monotoneAndAlwaysInsideTheClamps() {
        let strict = GoalSizing(limits: .init(maxFactor: 1.2))
        var previous = Double.infinity
        for step in 0...100 {
            let p = Double(step) / 100
            let decision = strict.decide(.init(progress: p, elapsed: 0.5, tradingDaysLeft: 15, targetReturn: 0.05))
            #expect(decision.factor <= previous + 1e-12, "the factor never rises as progress grows (p \(p))")
            #expect(decision.factor >= 0 && decision.factor <= 1.2)
            previous = decision.factor
        }
        #expect(strict.decide(.init(progress: -0.5, elapsed: 0.9, tradingDaysLeft: 30, targetReturn: 0.05)).factor <= 1.2)
    }

    @Test func anUnreachableGoalIsAtRiskAndNeverRaisesRisk() {
        // 5% still needed in 2 trading days is 2.5% a day: beyond the 1% bound.
        let decision = factor(0, elapsed: 0.95, daysLeft: 2)
        #expect(decision.state == .atRisk)
        #expect(decision.factor <= 1)
    }

    @Test func strategyByProgressAndCombination() {
        #expect(GoalSizing.strategy(progress: 0.1).0 == .momentum)
        #expect(GoalSizing.strategy(progress: 0.1, preferBreakout: true).0 == .breakout)
        #expect(GoalSizing.strategy(progress: 0.5).0 == .balanced)
        #expect(GoalSizing.strategy(progress: 0.85).0 == .meanReversion)
        let behind = factor(0.1), near = factor(0.9)
        let same = GoalSizing.combine([("a", 1, behind), ("b", 1, near)])
        #expect(same.factor == near.factor && same.conflicts.count == 1, "equal priority: the most conservative wins")
        let ranked = GoalSizing.combine([("a", 1, behind), ("b", 2, near)])
        #expect(ranked.factor == behind.factor, "the higher priority decides")
        #expect(GoalSizing.combine([("a", 1, behind)], constraintCap: GoalSizing.drawdownCap(usedShareOfLimit: 1.1)).factor == 0, "a breached drawdown limit always wins")
    }
}
