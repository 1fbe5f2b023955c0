import Foundation
import KeelCore
import KeelStore

/// Financial goals: creation and changes (validated), progress, the sizing factor and strategy they ask
/// for, their history, adjustments and alerts. Every change runs in one transaction with its history entry,
/// adjustment entry and alerts; alert webhooks go out after the commit.
public struct GoalService: Sendable {
    let context: ServiceContext
    let webhooks: WebhookDispatcher?
    var evaluator: GoalEvaluator { GoalEvaluator(settings: context.settings) }

    public init(context: ServiceContext, webhooks: WebhookDispatcher?) {
        self.context = context
        self.webhooks = webhooks
    }

    public func create(_ input: GoalInput, by principal: Principal) async throws -> GoalRecord {
        let typeText = try FieldValidation.requiredText(input.goalType, field: "goal_type")
        guard let type = GoalType(rawValue: typeText) else {
            throw ServiceError.invalid("goal_type", "goal_type must be one of \(GoalType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let userID = try FieldValidation.requiredText(input.userID ?? (principal.role.isStaff ? nil : principal.userID), field: "user_id")
        if !principal.role.isStaff, userID != principal.userID { throw ServiceError.forbidden }
        let now = context.clock.now()
        let start = try GoalFieldRules.date(input.periodStart, field: "period_start") ?? now
        guard let end = try GoalFieldRules.date(input.periodEnd, field: "period_end") ?? GoalFieldRules.defaultEnd(type, start: start)
                ?? (type == .maxDrawdown ? Date.distantFuture : nil) else {
            throw ServiceError.invalid("period_end", "period_end is required for a \(type.rawValue) goal (the date to reach it by)")
        }
        guard end > start else { throw ServiceError.invalid("period_end", "period_end must be after period_start") }
        guard end > now else { throw ServiceError.invalid("period_end", "period_end must be in the future") }
        guard start <= now.addingTimeInterval(366 * 86_400) else { throw ServiceError.invalid("period_start", "period_start must be within a year from now") }
        let priority = try GoalFieldRules.priority(input.priority)
        let maxFactor = try GoalFieldRules.maxFactor(input.maxFactor, ceiling: context.settings.goalMaxFactor)
        let calendar = try FieldValidation.oneOf(input.calendar ?? "nyse", ["nyse", "24/7"], field: "calendar")
        let name = try FieldValidation.requiredText(input.name ?? defaultName(type, target: input.targetValue), field: "name", maxLength: 120)
        _ = try FieldValidation.ledger(input.startingValue, field: "starting_value", range: LedgerLimits.money, scale: 2)
        if let startingValue = input.startingValue, startingValue <= 0 {
            throw ServiceError.invalid("starting_value", "starting_value must be above 0")
        }
        let evaluator = self.evaluator

        let goal = try await context.database.write { session in
            var clientID = input.clientID
            if let accountHash = input.accountHash {
                guard let account = try await session.accounts.find(hash: accountHash) else {
                    throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
                }
                if let clientID, clientID != account.clientID {
                    throw ServiceError.invalid("account_hash", "account \(accountHash) does not belong to client \(clientID)")
                }
                clientID = account.clientID
            }
            if let clientID {
                guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
                try principal.ensureAccess(toClient: clientID)
            }
            var startingValue: Decimal
            if let clientID {
                if input.startingValue != nil {
                    throw ServiceError.invalid("starting_value", "starting_value is taken from the account's value; leave it out for an account or client goal")
                }
                startingValue = (try await GoalScopeValue.accountsValue(accountHash: input.accountHash, clientID: clientID, session: session) ?? 0).roundedToCents
                guard startingValue > 0 else {
                    throw ServiceError.invalid(input.accountHash != nil ? "account_hash" : "client_id", "the account has no value to measure a goal on; fund it first")
                }
            } else {
                guard let given = input.startingValue else {
                    throw ServiceError.invalid("starting_value", "starting_value (the capital the goal is measured on) is required for a goal without an account")
                }
                startingValue = given
            }
            let target = try GoalFieldRules.target(input.targetValue, type: type, startingValue: startingValue)
            let record = GoalRecord(goalID: UUID().uuidString.lowercased(), userID: userID, clientID: clientID, accountHash: input.accountHash,
                                    name: name, goalType: type, targetValue: target, startingValue: startingValue, periodStart: start,
                                    periodEnd: end == .distantFuture ? nil : end, priority: priority,
                                    continueAfterAchieved: input.continueAfterAchieved ?? false, maxFactor: maxFactor, calendar: calendar,
                                    createdBy: principal.userID, createdAt: now)
            try await session.goals.insert(record)
            let outcome = try await evaluator.evaluate(record, trigger: "created", session: session, now: now)
            try await session.audit("goal.create", actor: principal.userID, entityType: "goal", entityID: record.goalID, clientID: clientID, at: now,
                                    details: ["goal_type": type.rawValue, "target_value": "\(target)", "user_id": userID])
            return outcome.goal
        }
        await webhooks?.kick()
        return goal
    }

    public func get(_ goalID: String, by principal: Principal) async throws -> GoalRecord {
        let goal = try await context.database.read { try await $0.goals.find(goalID) }
        guard let goal else { throw ServiceError.notFound("goal \(goalID)", field: "goal_id") }
        try ensureAccess(goal, principal)
        return goal
    }

    public func list(userID: String?, clientID: Int?, status: String?, by principal: Principal) async throws -> [GoalRecord] {
        let statuses = try status.map { text -> [GoalStatus] in
            guard let status = GoalStatus(rawValue: text) else {
                throw ServiceError.invalid("status", "status must be one of \(GoalStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return [status]
        }
        if !principal.role.isStaff {
            // A client sees its own goals: by its user id, or by its client record.
            if let userID, userID != principal.userID { throw ServiceError.forbidden }
            if let clientID { try principal.ensureAccess(toClient: clientID) }
            let own = try await context.database.read { session in
                var goals = try await session.goals.list(userID: principal.userID, clientID: nil, statuses: statuses)
                if let id = principal.clientID { goals += try await session.goals.list(userID: nil, clientID: id, statuses: statuses) }
                return goals
            }
            var seen = Set<String>()
            return own.filter { seen.insert($0.goalID).inserted }
        }
        guard userID != nil || clientID != nil else {
            throw ServiceError.invalid("user_id", "give user_id or client_id to list goals")
        }
        return try await context.database.read { try await $0.goals.list(userID: userID, clientID: clientID, statuses: statuses) }
    }

    public func update(_ goalID: String, _ change: GoalUpdate, by principal: Principal) async throws -> GoalRecord {
        let now = context.clock.now()
        let ceiling = context.settings.goalMaxFactor
        let newEnd = try GoalFieldRules.date(change.periodEnd, field: "period_end")
        let priority = try change.priority.map { try GoalFieldRules.priority($0) }
        let maxFactor = try change.maxFactor.map { try GoalFieldRules.maxFactor($0, ceiling: ceiling) }
        let name = try change.name.map { try FieldValidation.requiredText($0, field: "name", maxLength: 120) }
        let evaluator = self.evaluator
        let goal = try await context.database.write { session in
            guard var goal = try await session.goals.lock(goalID) else { throw ServiceError.notFound("goal \(goalID)", field: "goal_id") }
            try ensureAccess(goal, principal)
            guard goal.status.isOpen else {
                throw ServiceError.conflict("goal_closed", "goal \(goalID) is \(goal.status.rawValue); only active or at_risk goals change")
            }
            if let target = change.targetValue {
                goal.targetValue = try GoalFieldRules.target(target, type: goal.goalType, startingValue: goal.startingValue)
            }
            if let newEnd {
                guard newEnd > goal.periodStart, newEnd > now else { throw ServiceError.invalid("period_end", "period_end must be after period_start and in the future") }
                goal.periodEnd = newEnd
            }
            if let priority { goal.priority = priority }
            if let maxFactor { goal.maxFactor = maxFactor }
            if let name { goal.name = name }
            if let keep = change.continueAfterAchieved { goal.continueAfterAchieved = keep }
            goal.updatedAt = now
            try await session.goals.save(goal)
            try await session.audit("goal.update", actor: principal.userID, entityType: "goal", entityID: goalID, clientID: goal.clientID, at: now,
                                    details: ["target_value": "\(goal.targetValue)", "priority": String(goal.priority)])
            return try await evaluator.reevaluate([goalID], trigger: "updated", session: session, now: now).first?.goal ?? goal
        }
        await webhooks?.kick()
        return goal
    }

    public func cancel(_ goalID: String, by principal: Principal) async throws -> GoalRecord {
        let now = context.clock.now()
        return try await context.database.write { session in
            guard var goal = try await session.goals.lock(goalID) else { throw ServiceError.notFound("goal \(goalID)", field: "goal_id") }
            try ensureAccess(goal, principal)
            guard goal.status.isOpen else {
                throw ServiceError.conflict("goal_closed", "goal \(goalID) is already \(goal.status.rawValue)")
            }
            let oldFactor = goal.sizingFactor
            goal.status = .cancelled
            goal.closedAt = now
            goal.updatedAt = now
            goal.sizingFactor = 1
            goal.sizingState = "cancelled"
            goal.sizingReason = "cancelled: the goal no longer steers risk"
            try await session.goals.save(goal)
            try await session.goals.appendHistory(GoalHistoryRecord(goalID: goalID, progressPct: goal.progressPct, currentValue: goal.currentValue,
                                                                    scopeValue: goal.scopeValue, status: .cancelled, sizingFactor: goal.sizingFactor,
                                                                    trigger: "cancelled", recordedAt: now))
            try await session.goals.appendAdjustment(GoalAdjustmentRecord(goalID: goalID, oldFactor: oldFactor, newFactor: goal.sizingFactor,
                                                                          oldStrategy: goal.selectedStrategy, newStrategy: goal.selectedStrategy,
                                                                          reason: goal.sizingReason, conflicts: nil, trigger: "cancelled", createdAt: now))
            for var instance in try await session.strategyInstances.list(userID: goal.userID, goalID: goalID) where instance.status == "active" {
                instance.status = "retired"
                instance.updatedAt = now
                try await session.strategyInstances.save(instance)
            }
            try await session.alerts.resolve(kinds: ["goal_at_risk"], clientID: nil, goalID: goalID, at: now)
            try await session.audit("goal.cancel", actor: principal.userID, entityType: "goal", entityID: goalID, clientID: goal.clientID, at: now, details: [:])
            return goal
        }
    }

    public func history(_ goalID: String, by principal: Principal) async throws -> [GoalHistoryRecord] {
        _ = try await get(goalID, by: principal)
        return try await context.database.read { try await $0.goals.history(goalID: goalID) }
    }

    public func adjustments(_ goalID: String, by principal: Principal) async throws -> [GoalAdjustmentRecord] {
        _ = try await get(goalID, by: principal)
        return try await context.database.read { try await $0.goals.adjustments(goalID: goalID) }
    }

    public func alerts(_ goalID: String, by principal: Principal) async throws -> [AlertRecord] {
        _ = try await get(goalID, by: principal)
        return try await context.database.read { try await $0.alerts.list(clientID: nil, goalID: goalID, openOnly: false) }
    }

    /// The goal's own factor and how the user's goals combine into the factor that applies.
    public func sizing(_ goalID: String, by principal: Principal) async throws -> GoalSizingView {
        let goal = try await get(goalID, by: principal)
        let now = context.clock.now()
        let combined = try await context.database.read { try await GoalSteering.combined(userID: goal.userID, session: $0, now: now) }
        return GoalSizingView(goal: goal, combined: combined, period: GoalPeriod(start: goal.periodStart, end: goal.periodEnd ?? .distantFuture), now: now,
                              ceiling: context.settings.goalMaxFactor)
    }

    /// The combined sizing of all a user's goals.
    public func sizing(userID: String, by principal: Principal) async throws -> GoalSteeringView {
        if !principal.role.isStaff, userID != principal.userID { throw ServiceError.forbidden }
        let now = context.clock.now()
        let combined = try await context.database.read { try await GoalSteering.combined(userID: userID, session: $0, now: now) }
        return GoalSteeringView(combined)
    }

    public func strategy(_ goalID: String, by principal: Principal) async throws -> (GoalRecord, StrategyInstanceRecord?) {
        let goal = try await get(goalID, by: principal)
        let instance = try await context.database.read { try await $0.strategyInstances.list(userID: goal.userID, goalID: goalID).first }
        return (goal, instance)
    }

    /// Re-measures every open goal (after prices update, and on the server's timer for period ends).
    @discardableResult
    public func reevaluateAll(trigger: String) async throws -> Int {
        let now = context.clock.now()
        let evaluator = self.evaluator
        let ids = try await context.database.read { try await $0.goals.openGoalIDs() }
        guard !ids.isEmpty else { return 0 }
        let changed = try await context.database.write { session in
            try await evaluator.reevaluate(ids, trigger: trigger, session: session, now: now).count
        }
        await webhooks?.kick()
        return changed
    }

    /// Re-measures the goals an account's trading moves (after a batch executes).
    public func reevaluate(touching account: AccountRecord, userID: String?, trigger: String) async throws {
        try await reevaluate(touching: [(account, userID)], trigger: trigger)
    }

    /// Re-measures the goals the trading of many accounts moves (after a set of batches executed): one read of the
    /// goals, one transaction.
    public func reevaluate(touching accounts: [(account: AccountRecord, userID: String?)], trigger: String) async throws {
        guard !accounts.isEmpty else { return }
        let now = context.clock.now()
        let evaluator = self.evaluator
        try await context.database.write { session in
            let ids = try await session.goals.goals(touchingAny: accounts.map { ($0.account.accountHash, $0.account.clientID, $0.userID) }).map(\.goalID)
            guard !ids.isEmpty else { return }
            try await evaluator.reevaluate(ids, trigger: trigger, session: session, now: now)
        }
        await webhooks?.kick()
    }

    /// Ownership by relation: a client's goal belongs to the client a login is linked to (clients.user_id);
    /// only a goal without a client belongs to the login whose user id it carries.
    func ensureAccess(_ goal: GoalRecord, _ principal: Principal) throws {
        if principal.role.isStaff { return }
        if let clientID = goal.clientID {
            guard clientID == principal.clientID else { throw ServiceError.forbidden }
            return
        }
        guard goal.userID == principal.userID else { throw ServiceError.forbidden }
    }

    private func defaultName(_ type: GoalType, target: Decimal?) -> String {
        let value = target.map { "\($0)" } ?? "?"
        switch type {
        case .monthlyReturn: return "+\(value)% this month"
        case .quarterlyReturn: return "+\(value)% this quarter"
        case .yearlyReturn: return "+\(value)% this year"
        case .profitTarget: return "profit of \(value)"
        case .portfolioValue: return "portfolio value of \(value)"
        case .maxDrawdown: return "drawdown under \(value)%"
        }
    }
}

/// A goal's sizing as the API shows it.
public struct GoalSizingView: Sendable {
    public var goal: GoalRecord
    public var elapsedPct: Double
    public var tradingDaysLeft: Int
    public var combinedFactor: Double
    public var conflicts: [String]
    public var rule: String
    public var maxFactor: Double

    init(goal: GoalRecord, combined: GoalSteering, period: GoalPeriod, now: Date, ceiling: Double) {
        self.goal = goal
        elapsedPct = period.elapsed(at: now) * 100
        tradingDaysLeft = period.tradingDaysLeft(at: now, calendar: goal.calendar == "24/7" ? .alwaysOpen : .nyse)
        combinedFactor = combined.factor
        conflicts = combined.conflicts
        rule = combined.rule
        maxFactor = min(goal.maxFactor, ceiling)
    }
}

/// The factor and strategy a user's goals ask for together.
public struct GoalSteeringView: Sendable {
    public var factor: Double
    public var strategy: String?
    public var strategyReason: String
    public var conflicts: [String]
    public var rule: String
    public var goalIDs: [String]

    init(_ steering: GoalSteering) {
        factor = steering.factor
        strategy = steering.strategy?.rawValue
        strategyReason = steering.strategyReason
        conflicts = steering.conflicts
        rule = steering.rule
        goalIDs = steering.goals.map(\.goalID)
    }
}
