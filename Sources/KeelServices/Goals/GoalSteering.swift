import Foundation
import KeelCore
import KeelStore

/// What a user's goals together ask of the next rebalance: one risk factor and one strategy family.
///
/// Rules (in this order): a `max_drawdown` limit caps the factor (0 once breached) and always wins; among the
/// return goals the highest priority (lowest number) decides and, between equal priorities, the most
/// conservative factor. The strategy is the one selected by the deciding goal. Achieved goals keep steering
/// until their period ends (factor 0 unless the user opted in to continue).
struct GoalSteering: Sendable {
    var factor: Double
    var strategy: StrategyKind?
    var strategyReason: String
    var conflicts: [String]
    var rule: String
    var goals: [GoalRecord]

    static let ruleText = "a drawdown limit always wins; otherwise the highest priority, then the most conservative factor"

    /// Open goals, achieved goals until their period ends, and breached drawdown limits until theirs ends
    /// (an open-ended limit keeps stopping new risk until the user cancels it).
    static func steering(_ goals: [GoalRecord], now: Date) -> [GoalRecord] {
        goals.filter { goal in
            if goal.status.isOpen { return true }
            let periodRunning = goal.periodEnd.map { $0 > now } ?? true
            if goal.status == .achieved { return periodRunning && goal.periodEnd != nil }
            return goal.status == .failed && goal.goalType.isConstraint && periodRunning
        }
    }

    static func combine(_ goals: [GoalRecord]) -> GoalSteering {
        let limits = goals.filter { $0.goalType.isConstraint }
        let targets = goals.filter { !$0.goalType.isConstraint }
        let cap = limits.map(\.sizingFactor).min() ?? .infinity
        let (factor, conflicts) = GoalSizing.combine(
            targets.map { (id: $0.goalID, priority: $0.priority, decision: GoalSizing.Decision(factor: $0.sizingFactor, state: .onTrack, reason: $0.sizingReason)) },
            constraintCap: cap)
        let top = targets.map(\.priority).min()
        let deciding = targets.filter { $0.priority == top }.min { $0.sizingFactor < $1.sizingFactor }
        var allConflicts = conflicts
        if targets.isEmpty, cap < 1, !limits.isEmpty { allConflicts = limits.filter { $0.sizingFactor > cap }.map { "\($0.goalID) capped by a tighter drawdown limit" } }
        return GoalSteering(factor: factor, strategy: deciding.flatMap { StrategyKind(rawValue: $0.selectedStrategy) },
                            strategyReason: deciding.map { "\($0.name): \($0.strategyReason)" } ?? "no return goal: the model portfolio's strategy",
                            conflicts: allConflicts, rule: ruleText, goals: goals)
    }

    /// Every steering goal of a user, whatever its scope.
    static func combined(userID: String, session: Session, now: Date) async throws -> GoalSteering {
        let goals = try await session.goals.list(userID: userID, clientID: nil, statuses: [.active, .atRisk, .achieved, .failed])
        return combine(steering(goals, now: now))
    }

    /// The goals that steer an account's rebalance (nil when it has none), from goals read in priority order for one
    /// or many accounts: those touching this account steer it —
    /// its own, its client's not tied to an account, its user's not tied to a client.
    static func forAccount(_ account: AccountRecord, userID: String?, among goals: [GoalRecord], now: Date) -> GoalSteering? {
        let touching = goals.filter { $0.touches(accountHash: account.accountHash, clientID: account.clientID, userID: userID) }
        let steering = steering(touching, now: now)
        return steering.isEmpty ? nil : combine(steering)
    }
}
