import Foundation
import KeelServices
import KeelStore
import Vapor

struct GoalBody: Content {
    var userId: String?
    var name: String?
    var goalType: String?
    var targetValue: Decimal?
    var periodStart: String?
    var periodEnd: String?
    var priority: Int?
    var clientId: Int?
    var accountHash: String?
    var startingValue: Decimal?
    var continueAfterAchieved: Bool?
    var maxFactor: Double?
    var calendar: String?

    var input: GoalInput {
        GoalInput(userID: userId, name: name, goalType: goalType, targetValue: targetValue, periodStart: periodStart, periodEnd: periodEnd,
                  priority: priority, clientID: clientId, accountHash: accountHash, startingValue: startingValue,
                  continueAfterAchieved: continueAfterAchieved, maxFactor: maxFactor, calendar: calendar)
    }
}

struct GoalUpdateBody: Content {
    var name: String?
    var targetValue: Decimal?
    var periodEnd: String?
    var priority: Int?
    var continueAfterAchieved: Bool?
    var maxFactor: Double?

    var update: GoalUpdate {
        GoalUpdate(name: name, targetValue: targetValue, periodEnd: periodEnd, priority: priority,
                   continueAfterAchieved: continueAfterAchieved, maxFactor: maxFactor)
    }
}

struct GoalResponse: Content {
    var goalId: String
    var userId: String
    var clientId: Int?
    var accountHash: String?
    var name: String
    var goalType: String
    var targetValue: Decimal
    var startingValue: Decimal
    var currentValue: Decimal
    var scopeValue: Decimal
    var progressPct: Double
    var status: String
    var periodStart: Date
    var periodEnd: Date?
    var priority: Int
    var continueAfterAchieved: Bool
    var maxFactor: Double
    var calendar: String
    var sizingFactor: Double
    var sizingState: String
    var sizingReason: String
    var selectedStrategy: String
    var strategyReason: String
    var createdAt: Date
    var updatedAt: Date
    var achievedAt: Date?
    var closedAt: Date?

    init(_ goal: GoalRecord) {
        goalId = goal.goalID
        userId = goal.userID
        clientId = goal.clientID
        accountHash = goal.accountHash
        name = goal.name
        goalType = goal.goalType.rawValue
        targetValue = goal.targetValue
        startingValue = goal.startingValue
        currentValue = goal.currentValue
        scopeValue = goal.scopeValue
        progressPct = goal.progressPct
        status = goal.status.rawValue
        periodStart = goal.periodStart
        periodEnd = goal.periodEnd
        priority = goal.priority
        continueAfterAchieved = goal.continueAfterAchieved
        maxFactor = goal.maxFactor
        calendar = goal.calendar
        sizingFactor = goal.sizingFactor
        sizingState = goal.sizingState
        sizingReason = goal.sizingReason
        selectedStrategy = goal.selectedStrategy
        strategyReason = goal.strategyReason
        createdAt = goal.createdAt
        updatedAt = goal.updatedAt
        achievedAt = goal.achievedAt
        closedAt = goal.closedAt
    }
}

struct GoalHistoryResponse: Content {
    var historyId: Int?
    var goalId: String
    var progressPct: Double
    var currentValue: Decimal
    var scopeValue: Decimal
    var status: String
    var sizingFactor: Double
    var trigger: String
    var recordedAt: Date

    init(_ entry: GoalHistoryRecord) {
        historyId = entry.historyID
        goalId = entry.goalID
        progressPct = entry.progressPct
        currentValue = entry.currentValue
        scopeValue = entry.scopeValue
        status = entry.status.rawValue
        sizingFactor = entry.sizingFactor
        trigger = entry.trigger
        recordedAt = entry.recordedAt
    }
}

struct GoalAdjustmentResponse: Content {
    var adjustmentId: Int?
    var goalId: String
    var oldFactor: Double?
    var newFactor: Double
    var oldStrategy: String?
    var newStrategy: String
    var reason: String
    var conflicts: String?
    var trigger: String
    var createdAt: Date

    init(_ entry: GoalAdjustmentRecord) {
        adjustmentId = entry.adjustmentID
        goalId = entry.goalID
        oldFactor = entry.oldFactor
        newFactor = entry.newFactor
        oldStrategy = entry.oldStrategy
        newStrategy = entry.newStrategy
        reason = entry.reason
        conflicts = entry.conflicts
        trigger = entry.trigger
        createdAt = entry.createdAt
    }
}

struct GoalSizingResponse: Content {
    var goalId: String
    var progressPct: Double
    var elapsedPct: Double
    var tradingDaysLeft: Int
    var factor: Double
    var state: String
    var reason: String
    var maxFactor: Double
    /// The factor that applies once the user's other goals are combined with this one.
    var combinedFactor: Double
    var conflicts: [String]
    var rule: String

    init(_ view: GoalSizingView) {
        goalId = view.goal.goalID
        progressPct = view.goal.progressPct
        elapsedPct = view.elapsedPct
        tradingDaysLeft = view.tradingDaysLeft
        factor = view.goal.sizingFactor
        state = view.goal.sizingState
        reason = view.goal.sizingReason
        maxFactor = view.maxFactor
        combinedFactor = view.combinedFactor
        conflicts = view.conflicts
        rule = view.rule
    }
}

struct GoalSteeringResponse: Content {
    var userId: String
    var factor: Double
    var strategy: String?
    var strategyReason: String
    var conflicts: [String]
    var rule: String
    var goalIds: [String]

    init(userID: String, _ view: GoalSteeringView) {
        userId = userID
        factor = view.factor
        strategy = view.strategy
        strategyReason = view.strategyReason
        conflicts = view.conflicts
        rule = view.rule
        goalIds = view.goalIDs
    }
}

struct GoalStrategyResponse: Content {
    var goalId: String
    var progressPct: Double
    var strategy: String
    var reason: String
    var strategyInstance: StrategyInstanceResponse?
}
