import Foundation

/// Goal-aware risk: a factor on position sizes from a goal's progress and the time left in its period.
///
/// The curve (progress p = share of the target reached, 0...1):
///   p 0 -> 1.5, p 0.25 -> 1.25, p 0.4...0.6 -> 1.0, p 0.8 -> 0.7, p 0.95 -> 0.4, linear in between: more risk
///   when behind, normal risk on track, less near the goal. The flat band matches the `balanced` strategy band. Reached (p >= 1): 0 new risk, or 1.0 when the user opts in.
/// "On track" means progress at least the elapsed share of the period minus 10 points; it is reported, and the
/// factor at 50% progress is 1.0 whatever the date.
/// Feasibility: the return still needed, spread over the trading days left, above `maxDailyReturn` (1% a day by
/// default) makes the goal unreachable: it goes at_risk and the factor is capped at 1.0 (no doubling down).
/// Always clamped by the client's hard limits: the maximum factor, and zero when a drawdown limit is breached.
public struct GoalSizing: Sendable {
    public struct Limits: Sendable, Hashable {
        /// The most the factor may ever be (a client's hard limit).
        public var maxFactor: Double
        /// The steepest daily return a goal may require before it counts as unreachable.
        public var maxDailyReturn: Double

        public init(maxFactor: Double = 1.5, maxDailyReturn: Double = 0.01) {
            self.maxFactor = maxFactor
            self.maxDailyReturn = maxDailyReturn
        }
    }

    public struct Input: Sendable, Hashable {
        /// Share of the target reached (0.4 = 40%); may be negative after losses.
        public var progress: Double
        /// Share of the period elapsed, 0...1.
        public var elapsed: Double
        /// Trading days left in the period.
        public var tradingDaysLeft: Int
        /// The target as a return on the starting value (0.05 for +5%).
        public var targetReturn: Double
        /// Continue taking (normal) risk after the goal is reached.
        public var continueAfterAchieved: Bool

        public init(progress: Double, elapsed: Double, tradingDaysLeft: Int, targetReturn: Double, continueAfterAchieved: Bool = false) {
            self.progress = progress
            self.elapsed = elapsed
            self.tradingDaysLeft = tradingDaysLeft
            self.targetReturn = targetReturn
            self.continueAfterAchieved = continueAfterAchieved
        }
    }

    public enum State: String, Sendable, Codable {
        case behind, onTrack = "on_track", nearGoal = "near_goal", achieved, atRisk = "at_risk"
    }

    public struct Decision: Sendable, Hashable {
        public var factor: Double
        public var state: State
        public var reason: String

        public init(factor: Double, state: State, reason: String) {
            self.factor = factor
            self.state = state
            self.reason = reason
        }
    }

    public let limits: Limits

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    static let curve: [(progress: Double, factor: Double)] = [(0, 1.5), (0.25, 1.25), (0.4, 1.0), (0.6, 1.0), (0.8, 0.7), (0.95, 0.4), (1.0, 0.4)]

    /// The factor of the curve alone, before feasibility and limits.
    public static func curveFactor(progress: Double) -> Double {
        let p = min(max(progress, 0), 1)
        for i in 1..<curve.count where p <= curve[i].progress {
            let (p0, f0) = curve[i - 1], (p1, f1) = curve[i]
            return f0 + (f1 - f0) * (p - p0) / (p1 - p0)
        }
        return curve[curve.count - 1].factor
    }

    public func decide(_ input: Input) -> Decision {
        if input.progress >= 1 {
            return input.continueAfterAchieved
                ? Decision(factor: min(1, limits.maxFactor), state: .achieved, reason: "goal reached; continuing at normal risk as the user chose")
                : Decision(factor: 0, state: .achieved, reason: "goal reached; no new risk")
        }
        var factor = Self.curveFactor(progress: input.progress)
        let state: State
        var reason: String
        let remaining = input.targetReturn * (1 - input.progress)
        let daily = input.tradingDaysLeft > 0 ? pow(1 + max(remaining, 0), 1 / Double(input.tradingDaysLeft)) - 1 : .infinity
        if remaining > 0, daily > limits.maxDailyReturn {
            factor = min(factor, 1)
            state = .atRisk
            reason = String(format: "unreachable: %.2f%% a day would be needed for %d day(s); risk not raised", daily * 100, input.tradingDaysLeft)
        } else if input.progress >= 0.8 {
            state = .nearGoal
            reason = String(format: "near the goal (%.0f%% reached)", input.progress * 100)
        } else if input.progress >= input.elapsed - 0.1 {
            state = .onTrack
            reason = String(format: "on track (%.0f%% reached, %.0f%% of the period gone)", input.progress * 100, input.elapsed * 100)
        } else {
            state = .behind
            reason = String(format: "behind (%.0f%% reached, %.0f%% of the period gone)", input.progress * 100, input.elapsed * 100)
        }
        if state != .atRisk {
            reason += input.progress < 0.4 ? "; under 40% of the target: more risk" : input.progress <= 0.6 ? "; normal risk" : "; past 60% of the target: less risk"
        }
        if factor > limits.maxFactor {
            factor = limits.maxFactor
            reason += String(format: "; capped at the client's maximum factor %.2f", limits.maxFactor)
        }
        return Decision(factor: max(factor, 0), state: state, reason: reason)
    }

    /// Strategy family by progress: behind -> momentum (breakout when `preferBreakout`), on track -> balanced,
    /// near the goal -> mean reversion.
    public static func strategy(progress: Double, preferBreakout: Bool = false) -> (StrategyKind, String) {
        if progress >= 0.8 { return (.meanReversion, "near the goal: conservative mean reversion") }
        if progress >= 0.4 { return (.balanced, "on track: balanced") }
        return (preferBreakout ? .breakout : .momentum, "behind: aggressive \(preferBreakout ? "breakout" : "momentum")")
    }

    /// Several goals at once. Constraint goals (`max_drawdown`) give a cap that always wins: 0 once a limit is
    /// breached (no new risk), lower as a limit comes near. Between return goals, the highest priority (lowest
    /// number) decides and, among equal priorities, the most conservative factor. Returns the factor and the
    /// conflicts: goals that wanted something else, with what applies instead.
    public static func combine(_ goals: [(id: String, priority: Int, decision: Decision)], constraintCap: Double = .infinity) -> (factor: Double, conflicts: [String]) {
        let cap = max(constraintCap, 0)
        guard !goals.isEmpty else { return (min(1, cap), []) }
        let top = goals.map(\.priority).min()!
        let chosen = min(goals.filter { $0.priority == top }.map(\.decision.factor).min()!, cap)
        let conflicts = goals.filter { abs($0.decision.factor - chosen) > 1e-9 }.map { goal -> String in
            let wanted = String(format: "%.2f", goal.decision.factor), applied = String(format: "%.2f", chosen)
            if chosen == cap, cap < goal.decision.factor {
                return "\(goal.id) wanted \(wanted); a drawdown limit caps risk at \(applied)"
            }
            return "\(goal.id) (priority \(goal.priority)) wanted \(wanted); \(applied) applies"
        }
        return (chosen, conflicts)
    }

    /// A drawdown limit's own cap: 1 well inside the limit, falling linearly to 0.5 as 80%...100% of it is used,
    /// and 0 once it is breached.
    public static func drawdownCap(usedShareOfLimit used: Double) -> Double {
        if used >= 1 { return 0 }
        if used <= 0.8 { return 1 }
        return 1 - (used - 0.8) / 0.2 * 0.5
    }
}
