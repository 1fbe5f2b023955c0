import Foundation
import KeelCore

public enum GoalStatus: String, Sendable, Codable, CaseIterable {
    case active, achieved, atRisk = "at_risk", failed, cancelled

    /// Still tracked and steering risk.
    public var isOpen: Bool { self == .active || self == .atRisk }
}

/// A financial goal of a user (`financial_goals`). Values are percent for return and drawdown goals and money
/// for profit and portfolio-value goals; `progress_pct` is the share of the target reached (100 = reached).
public struct GoalRecord: Sendable, Hashable, Codable {
    public var goalID: String
    public var userID: String
    public var clientID: Int?
    public var accountHash: String?
    public var name: String
    public var goalType: GoalType
    public var targetValue: Decimal
    /// The scope's value when the goal started (return, profit and value goals measure from it).
    public var startingValue: Decimal
    public var currentValue: Decimal
    /// The scope's value at the last measurement.
    public var scopeValue: Decimal
    /// The highest scope value seen (drawdown goals measure from it).
    public var peakValue: Decimal
    public var progressPct: Double
    public var status: GoalStatus
    public var periodStart: Date
    public var periodEnd: Date?
    /// 1 is the highest.
    public var priority: Int
    public var continueAfterAchieved: Bool
    public var maxFactor: Double
    public var calendar: String
    public var sizingFactor: Double
    public var sizingState: String
    public var sizingReason: String
    public var selectedStrategy: String
    public var strategyReason: String
    /// The highest milestone (25/50/75/100) already alerted.
    public var milestonePct: Int
    public var createdBy: String
    public var createdAt: Date
    public var updatedAt: Date
    public var achievedAt: Date?
    public var closedAt: Date?

    enum CodingKeys: String, CodingKey {
        case goalID = "goal_id", userID = "user_id", clientID = "client_id", accountHash = "account_hash", name, goalType = "goal_type"
        case targetValue = "target_value", startingValue = "starting_value", currentValue = "current_value", scopeValue = "scope_value"
        case peakValue = "peak_value", progressPct = "progress_pct", status, periodStart = "period_start", periodEnd = "period_end", priority
        case continueAfterAchieved = "continue_after_achieved", maxFactor = "max_factor", calendar, sizingFactor = "sizing_factor"
        case sizingState = "sizing_state", sizingReason = "sizing_reason", selectedStrategy = "selected_strategy"
        case strategyReason = "strategy_reason", milestonePct = "milestone_pct", createdBy = "created_by", createdAt = "created_at"
        case updatedAt = "updated_at", achievedAt = "achieved_at", closedAt = "closed_at"
    }

    public init(goalID: String, userID: String, clientID: Int?, accountHash: String?, name: String, goalType: GoalType, targetValue: Decimal,
                startingValue: Decimal, periodStart: Date, periodEnd: Date?, priority: Int, continueAfterAchieved: Bool, maxFactor: Double,
                calendar: String, createdBy: String, createdAt: Date) {
        self.goalID = goalID
        self.userID = userID
        self.clientID = clientID
        self.accountHash = accountHash
        self.name = name
        self.goalType = goalType
        self.targetValue = targetValue
        self.startingValue = startingValue
        self.currentValue = 0
        self.scopeValue = startingValue
        self.peakValue = startingValue
        self.progressPct = 0
        self.status = .active
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.priority = priority
        self.continueAfterAchieved = continueAfterAchieved
        self.maxFactor = maxFactor
        self.calendar = calendar
        self.sizingFactor = 1
        self.sizingState = "on_track"
        self.sizingReason = "new goal"
        self.selectedStrategy = StrategyKind.balanced.rawValue
        self.strategyReason = "new goal"
        self.milestonePct = 0
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// One snapshot of a goal's progress (`goal_progress_history`), appended on every change.
public struct GoalHistoryRecord: Sendable, Hashable, Codable {
    public var historyID: Int?
    public var goalID: String
    public var progressPct: Double
    public var currentValue: Decimal
    public var scopeValue: Decimal
    public var status: GoalStatus
    public var sizingFactor: Double
    /// What caused it: created, trade_closed, trade_recorded, batch_executed, prices_updated, updated, period_ended.
    public var trigger: String
    public var recordedAt: Date

    enum CodingKeys: String, CodingKey {
        case historyID = "history_id", goalID = "goal_id", progressPct = "progress_pct", currentValue = "current_value"
        case scopeValue = "scope_value", status, sizingFactor = "sizing_factor", trigger, recordedAt = "recorded_at"
    }

    public init(goalID: String, progressPct: Double, currentValue: Decimal, scopeValue: Decimal, status: GoalStatus, sizingFactor: Double,
                trigger: String, recordedAt: Date) {
        self.goalID = goalID
        self.progressPct = progressPct
        self.currentValue = currentValue
        self.scopeValue = scopeValue
        self.status = status
        self.sizingFactor = sizingFactor
        self.trigger = trigger
        self.recordedAt = recordedAt
    }
}

/// A change of a goal's sizing factor or strategy (`goal_adjustment_log`), with the reason.
public struct GoalAdjustmentRecord: Sendable, Hashable, Codable {
    public var adjustmentID: Int?
    public var goalID: String
    public var oldFactor: Double?
    public var newFactor: Double
    public var oldStrategy: String?
    public var newStrategy: String
    public var reason: String
    /// Other goals of the user that wanted a different factor, when several goals were combined.
    public var conflicts: String?
    public var trigger: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case adjustmentID = "adjustment_id", goalID = "goal_id", oldFactor = "old_factor", newFactor = "new_factor"
        case oldStrategy = "old_strategy", newStrategy = "new_strategy", reason, conflicts, trigger, createdAt = "created_at"
    }

    public init(goalID: String, oldFactor: Double?, newFactor: Double, oldStrategy: String?, newStrategy: String, reason: String,
                conflicts: String?, trigger: String, createdAt: Date) {
        self.goalID = goalID
        self.oldFactor = oldFactor
        self.newFactor = newFactor
        self.oldStrategy = oldStrategy
        self.newStrategy = newStrategy
        self.reason = reason
        self.conflicts = conflicts
        self.trigger = trigger
        self.createdAt = createdAt
    }
}

/// A running strategy of a user (`strategy_instances`); a goal's instance follows the goal's selected family.
public struct StrategyInstanceRecord: Sendable, Hashable, Codable {
    public var strategyID: String
    public var userID: String
    public var strategyType: String
    public var name: String
    public var goalID: String?
    /// active or retired.
    public var status: String
    public var selectionReason: String
    /// JSON object of the strategy's parameters.
    public var parameters: String
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case strategyID = "strategy_id", userID = "user_id", strategyType = "strategy_type", name, goalID = "goal_id", status
        case selectionReason = "selection_reason", parameters, createdAt = "created_at", updatedAt = "updated_at"
    }

    public init(strategyID: String, userID: String, strategyType: String, name: String, goalID: String?, status: String,
                selectionReason: String, parameters: String, createdAt: Date, updatedAt: Date) {
        self.strategyID = strategyID
        self.userID = userID
        self.strategyType = strategyType
        self.name = name
        self.goalID = goalID
        self.status = status
        self.selectionReason = selectionReason
        self.parameters = parameters
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension GoalRecord {
    /// Whether the goal steers this account: its own, its client's not tied to an account, its user's not tied to a
    /// client (what `GoalRepository.goals(touching:)` selects).
    public func touches(accountHash: String, clientID: Int, userID: String?) -> Bool {
        self.accountHash == accountHash || (self.accountHash == nil && self.clientID == clientID)
            || (userID != nil && self.clientID == nil && self.userID == userID)
    }
}
