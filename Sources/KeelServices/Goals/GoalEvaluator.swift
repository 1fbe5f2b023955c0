import Foundation
import KeelCore
import KeelStore

/// Re-measures goals inside the caller's transaction and applies what follows from the new progress: status
/// (achieved, at_risk, failed), the sizing factor and strategy, a history snapshot on every change, an
/// adjustment log entry on every change of factor or strategy, and alerts (milestones, at_risk, failed,
/// achieved) queued for the webhook.
struct GoalEvaluator: Sendable {
    let settings: ServiceSettings

    static let milestones = [25, 50, 75, 100]

    struct Outcome: Sendable {
        var goal: GoalRecord
        var alertsRaised: Int
    }

    /// What re-measuring one goal decided, before anything is written.
    struct Decision: Sendable {
        var stored: GoalRecord
        var goal: GoalRecord
        var alerts: [NewAlert]
        var history: GoalHistoryRecord?
        var adjustment: GoalAdjustmentRecord?
        var changed: Bool { goal != stored }
    }

    /// Locks and re-measures the goals (in goal-id order, so concurrent callers never deadlock); returns them updated.
    /// Set-based: the goals locked with one query, the values of account goals read with one query per kind, and the
    /// goals, history, adjustments and strategy instances written with multi-row statements.
    @discardableResult
    func reevaluate(_ goalIDs: [String], trigger: String, session: Session, now: Date) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        let ordered = Array(Set(goalIDs)).sorted()
        // Chunks bound each statement's parameters whatever the book's size; locks are still taken in id order.
        for start in stride(from: 0, to: ordered.count, by: 500) {
            let goals = try await session.goals.lock(Array(ordered[start..<min(start + 500, ordered.count)]))
            let values = try await GoalScopeValue.values(of: goals.filter(\.status.isOpen), session: session)
            outcomes += try await apply(goals.map { decide($0, value: values[$0.goalID], trigger: trigger, now: now) }, trigger: trigger,
                                        session: session, now: now)
        }
        try await reportConflicts(outcomes, trigger: trigger, session: session, now: now)
        return outcomes
    }

    /// Re-measures one goal already read (and locked) by the caller.
    func evaluate(_ stored: GoalRecord, trigger: String, session: Session, now: Date) async throws -> Outcome {
        let value = stored.status.isOpen ? try await GoalScopeValue.value(of: stored, session: session) : nil
        return try await apply([decide(stored, value: value, trigger: trigger, now: now)], trigger: trigger, session: session, now: now)[0]
    }

    /// Goals of one user steer together: report their conflicts on each goal whose factor the combination overrides.
    private func reportConflicts(_ outcomes: [Outcome], trigger: String, session: Session, now: Date) async throws {
        let users = Array(Set(outcomes.map(\.goal.userID))).sorted()
        let goalsByUser = try await session.goals.list(userIDs: users, statuses: [.active, .atRisk, .achieved, .failed])
        for userID in users {
            let combined = GoalSteering.combine(GoalSteering.steering(goalsByUser[userID] ?? [], now: now))
            guard !combined.conflicts.isEmpty else { continue }
            for outcome in outcomes where outcome.goal.userID == userID && outcome.goal.status.isOpen
                && abs(outcome.goal.sizingFactor - combined.factor) > 1e-9 {
                let previous = try await session.goals.lastAdjustment(goalID: outcome.goal.goalID)
                let text = combined.conflicts.joined(separator: "; ")
                guard previous?.conflicts != text else { continue }
                try await session.goals.appendAdjustment(GoalAdjustmentRecord(
                    goalID: outcome.goal.goalID, oldFactor: outcome.goal.sizingFactor, newFactor: combined.factor,
                    oldStrategy: outcome.goal.selectedStrategy, newStrategy: outcome.goal.selectedStrategy,
                    reason: "combined with the user's other goals: \(combined.rule)", conflicts: text, trigger: trigger, createdAt: now))
            }
        }
    }

    /// The new state of a goal measured at `value` (nil: not measured, a closed goal or a vanished account): pure.
    func decide(_ stored: GoalRecord, value: Decimal?, trigger: String, now: Date) -> Decision {
        var goal = stored
        var alerts: [NewAlert] = []
        if goal.status.isOpen {
            let value = value ?? goal.scopeValue
            goal.scopeValue = value
            goal.peakValue = max(goal.peakValue, value)
            let measured = GoalMeasurement(type: goal.goalType, target: goal.targetValue.doubleValue, startingValue: goal.startingValue.doubleValue,
                                           value: value.doubleValue, peakValue: goal.peakValue.doubleValue)
            goal.currentValue = Decimal(exactly: measured.currentValue).rounded(scale: goal.goalType.reportsMoney ? 2 : 6)
            goal.progressPct = (measured.progress * 100 * 1e6).rounded() / 1e6
            if goal.goalType.isConstraint {
                decideConstraint(&goal, used: measured.progress, now: now, alerts: &alerts)
            } else {
                decideTarget(&goal, progress: measured.progress, now: now, alerts: &alerts)
            }
        }
        var decision = Decision(stored: stored, goal: goal, alerts: alerts)
        guard goal != stored || trigger == "created" else { return decision }
        decision.goal.updatedAt = now
        goal = decision.goal
        if historyChanged(stored, goal) || trigger == "created" {
            decision.history = GoalHistoryRecord(
                goalID: goal.goalID, progressPct: goal.progressPct, currentValue: goal.currentValue, scopeValue: goal.scopeValue,
                status: goal.status, sizingFactor: goal.sizingFactor, trigger: trigger, recordedAt: now)
        }
        if trigger == "created" || abs(goal.sizingFactor - stored.sizingFactor) > 1e-9 || goal.selectedStrategy != stored.selectedStrategy {
            decision.adjustment = GoalAdjustmentRecord(
                goalID: goal.goalID, oldFactor: trigger == "created" ? nil : stored.sizingFactor, newFactor: goal.sizingFactor,
                oldStrategy: trigger == "created" ? nil : stored.selectedStrategy, newStrategy: goal.selectedStrategy,
                reason: goal.sizingReason + (goal.selectedStrategy != stored.selectedStrategy || trigger == "created" ? "; strategy: \(goal.strategyReason)" : ""),
                conflicts: nil, trigger: trigger, createdAt: now)
        }
        return decision
    }

    /// Writes the decisions: goals, history, adjustments and strategy instances with one statement per kind; alerts
    /// (rare: on a change of state) one by one through the outbox.
    private func apply(_ decisions: [Decision], trigger: String, session: Session, now: Date) async throws -> [Outcome] {
        let written = decisions.filter { $0.changed || trigger == "created" }
        try await session.goals.save(written.map(\.goal))
        try await session.goals.appendHistory(written.compactMap(\.history))
        try await session.goals.appendAdjustments(written.compactMap(\.adjustment))
        try await syncStrategyInstances(written.map(\.goal), session: session, now: now)
        var outcomes: [Outcome] = []
        for decision in decisions {
            var raised = 0
            for alert in decision.alerts where try await AlertOutbox.raise(alert, session: session, settings: settings, at: now) != nil { raised += 1 }
            if decision.stored.status == .atRisk, decision.goal.status != .atRisk {
                try await session.alerts.resolve(kinds: ["goal_at_risk"], clientID: nil, goalID: decision.goal.goalID, at: now)
            }
            outcomes.append(Outcome(goal: decision.goal, alertsRaised: raised))
        }
        return outcomes
    }

    /// Return, profit and value goals: the sizing curve, milestones, and the status that follows.
    private func decideTarget(_ goal: inout GoalRecord, progress: Double, now: Date, alerts: inout [NewAlert]) {
        let period = GoalPeriod(start: goal.periodStart, end: goal.periodEnd ?? .distantFuture)
        let calendar: ExchangeCalendar = goal.calendar == "24/7" ? .alwaysOpen : .nyse
        let sizing = GoalSizing(limits: .init(maxFactor: min(goal.maxFactor, settings.goalMaxFactor), maxDailyReturn: settings.goalMaxDailyReturn))
        let targetReturn = GoalMeasurement.targetReturn(type: goal.goalType, target: goal.targetValue.doubleValue,
                                                        startingValue: goal.startingValue.doubleValue)
        let decision = sizing.decide(.init(progress: progress, elapsed: period.elapsed(at: now),
                                           tradingDaysLeft: period.tradingDaysLeft(at: now, calendar: calendar),
                                           targetReturn: targetReturn, continueAfterAchieved: goal.continueAfterAchieved))
        let reached = Self.milestones.filter { Double($0) <= progress * 100 + 1e-9 && $0 > goal.milestonePct }
        for milestone in reached {
            alerts.append(alert(goal, kind: "goal_milestone_\(milestone)", severity: "info",
                                message: "\(goal.name): \(milestone)% of the goal reached (\(Self.format(goal.progressPct))%)", once: true))
        }
        if let highest = reached.max() { goal.milestonePct = highest }

        if goal.status == .achieved || progress >= 1 {
            if goal.status != .achieved {
                goal.status = .achieved
                goal.achievedAt = now
                alerts.append(alert(goal, kind: "goal_achieved", severity: "info", message: "\(goal.name) achieved: \(Self.format(goal.progressPct))% of the target", once: true))
            }
        } else if let end = goal.periodEnd, now >= end {
            goal.status = .failed
            goal.closedAt = now
            alerts.append(alert(goal, kind: "goal_failed", severity: "warning",
                                message: "\(goal.name) failed: the period ended at \(Self.format(goal.progressPct))% of the target", once: true))
        } else if decision.state == .atRisk {
            if goal.status != .atRisk {
                alerts.append(alert(goal, kind: "goal_at_risk", severity: "warning", message: "\(goal.name) is at risk: \(decision.reason)", once: false))
            }
            goal.status = .atRisk
        } else {
            goal.status = .active
        }
        // A closed goal takes no more risk; an achieved one only with the user's consent.
        let factor = goal.status == .failed ? 0 : decision.factor
        goal.sizingFactor = (factor * 1e6).rounded() / 1e6
        goal.sizingState = goal.status == .failed ? "failed" : decision.state.rawValue
        goal.sizingReason = goal.status == .failed ? "the period ended; no new risk" : decision.reason
        let (kind, reason) = GoalSizing.strategy(progress: progress)
        goal.selectedStrategy = kind.rawValue
        goal.strategyReason = reason
    }

    /// A drawdown limit: at_risk from 80% of the limit used, failed (breached) at 100%; its cap on risk.
    private func decideConstraint(_ goal: inout GoalRecord, used: Double, now: Date, alerts: inout [NewAlert]) {
        let cap = GoalSizing.drawdownCap(usedShareOfLimit: used)
        if used >= 1 {
            goal.status = .failed
            goal.closedAt = now
            alerts.append(alert(goal, kind: "goal_failed", severity: "critical",
                                message: "\(goal.name): drawdown \(Self.format(goal.currentValue.doubleValue))% breached the \(goal.targetValue)% limit; no new risk", once: true))
            goal.sizingState = "breached"
            goal.sizingReason = "drawdown limit breached: no new risk"
        } else if used >= 0.8 {
            if goal.status != .atRisk {
                alerts.append(alert(goal, kind: "goal_at_risk", severity: "warning",
                                    message: "\(goal.name): drawdown \(Self.format(goal.currentValue.doubleValue))% is near the \(goal.targetValue)% limit", once: false))
            }
            goal.status = .atRisk
            goal.sizingState = "at_risk"
            goal.sizingReason = "drawdown near its limit: risk capped at \(Self.format(cap))"
        } else {
            if let end = goal.periodEnd, now >= end {
                goal.status = .achieved
                goal.achievedAt = now
                alerts.append(alert(goal, kind: "goal_achieved", severity: "info", message: "\(goal.name): the period ended inside the drawdown limit", once: true))
            } else {
                goal.status = .active
            }
            goal.sizingState = "within_limit"
            goal.sizingReason = "drawdown inside its limit"
        }
        goal.sizingFactor = cap
        goal.selectedStrategy = StrategyKind.balanced.rawValue
        goal.strategyReason = "a drawdown limit caps risk; it does not choose the strategy"
    }

    private func historyChanged(_ old: GoalRecord, _ new: GoalRecord) -> Bool {
        abs(old.progressPct - new.progressPct) > 1e-9 || old.status != new.status || old.currentValue != new.currentValue
            || abs(old.sizingFactor - new.sizingFactor) > 1e-9
    }

    private func alert(_ goal: GoalRecord, kind: String, severity: String, message: String, once: Bool) -> NewAlert {
        NewAlert(kind: kind, severity: severity, clientID: goal.clientID, accountHash: goal.accountHash, userID: goal.userID, goalID: goal.goalID,
                 message: message, once: once)
    }

    /// Each goal has one strategy instance that follows its selected family: one read for all the goals, the new
    /// instances in one INSERT, the changed ones saved.
    private func syncStrategyInstances(_ goals: [GoalRecord], session: Session, now: Date) async throws {
        guard !goals.isEmpty else { return }
        let existing = try await session.strategyInstances.list(goalIDs: goals.map(\.goalID))
        var fresh: [StrategyInstanceRecord] = []
        for goal in goals {
            if var instance = existing[goal.goalID]?.first(where: { $0.userID == goal.userID }) {
                let status = goal.status.isOpen || goal.status == .achieved ? "active" : "retired"
                guard instance.strategyType != goal.selectedStrategy || instance.selectionReason != goal.strategyReason || instance.status != status else { continue }
                instance.strategyType = goal.selectedStrategy
                instance.selectionReason = goal.strategyReason
                instance.status = status
                instance.updatedAt = now
                try await session.strategyInstances.save(instance)
            } else {
                fresh.append(StrategyInstanceRecord(
                    strategyID: "goal-" + goal.goalID, userID: goal.userID, strategyType: goal.selectedStrategy, name: "\(goal.name) (goal strategy)",
                    goalID: goal.goalID, status: "active", selectionReason: goal.strategyReason, parameters: "{}", createdAt: now, updatedAt: now))
            }
        }
        try await session.strategyInstances.insert(fresh)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension GoalType {
    /// Goals whose current value is money rather than percent.
    var reportsMoney: Bool { self == .profitTarget || self == .portfolioValue }
}
