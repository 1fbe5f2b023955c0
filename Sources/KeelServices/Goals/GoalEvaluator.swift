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

    /// Locks and re-measures the goals (in goal-id order, so concurrent callers never deadlock); returns them updated.
    @discardableResult
    func reevaluate(_ goalIDs: [String], trigger: String, session: Session, now: Date) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for id in Set(goalIDs).sorted() {
            guard let goal = try await session.goals.lock(id) else { continue }
            outcomes.append(try await evaluate(goal, trigger: trigger, session: session, now: now))
        }
        // Goals of one user steer together: report their conflicts on each goal whose factor the combination overrides.
        for userID in Set(outcomes.map(\.goal.userID)).sorted() {
            let combined = try await GoalSteering.combined(userID: userID, session: session, now: now)
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
        return outcomes
    }

    func evaluate(_ stored: GoalRecord, trigger: String, session: Session, now: Date) async throws -> Outcome {
        var goal = stored
        var alerts: [NewAlert] = []
        if goal.status.isOpen {
            let value = try await GoalScopeValue.value(of: goal, session: session)
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

        if goal != stored || trigger == "created" {
            goal.updatedAt = now
            try await session.goals.save(goal)
            if historyChanged(stored, goal) || trigger == "created" {
                try await session.goals.appendHistory(GoalHistoryRecord(
                    goalID: goal.goalID, progressPct: goal.progressPct, currentValue: goal.currentValue, scopeValue: goal.scopeValue,
                    status: goal.status, sizingFactor: goal.sizingFactor, trigger: trigger, recordedAt: now))
            }
            if trigger == "created" || abs(goal.sizingFactor - stored.sizingFactor) > 1e-9 || goal.selectedStrategy != stored.selectedStrategy {
                try await session.goals.appendAdjustment(GoalAdjustmentRecord(
                    goalID: goal.goalID, oldFactor: trigger == "created" ? nil : stored.sizingFactor, newFactor: goal.sizingFactor,
                    oldStrategy: trigger == "created" ? nil : stored.selectedStrategy, newStrategy: goal.selectedStrategy,
                    reason: goal.sizingReason + (goal.selectedStrategy != stored.selectedStrategy || trigger == "created" ? "; strategy: \(goal.strategyReason)" : ""),
                    conflicts: nil, trigger: trigger, createdAt: now))
            }
            try await syncStrategyInstance(goal, session: session, now: now)
        }
        var raised = 0
        for alert in alerts where try await AlertOutbox.raise(alert, session: session, settings: settings, at: now) != nil { raised += 1 }
        if stored.status == .atRisk, goal.status != .atRisk {
            try await session.alerts.resolve(kinds: ["goal_at_risk"], clientID: nil, goalID: goal.goalID, at: now)
        }
        return Outcome(goal: goal, alertsRaised: raised)
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

    /// Each goal has one strategy instance that follows its selected family.
    private func syncStrategyInstance(_ goal: GoalRecord, session: Session, now: Date) async throws {
        if var instance = try await session.strategyInstances.list(userID: goal.userID, goalID: goal.goalID).first {
            let status = goal.status.isOpen || goal.status == .achieved ? "active" : "retired"
            guard instance.strategyType != goal.selectedStrategy || instance.selectionReason != goal.strategyReason || instance.status != status else { return }
            instance.strategyType = goal.selectedStrategy
            instance.selectionReason = goal.strategyReason
            instance.status = status
            instance.updatedAt = now
            try await session.strategyInstances.save(instance)
        } else {
            try await session.strategyInstances.insert(StrategyInstanceRecord(
                strategyID: "goal-" + goal.goalID, userID: goal.userID, strategyType: goal.selectedStrategy, name: "\(goal.name) (goal strategy)",
                goalID: goal.goalID, status: "active", selectionReason: goal.strategyReason, parameters: "{}", createdAt: now, updatedAt: now))
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}

extension GoalType {
    /// Goals whose current value is money rather than percent.
    var reportsMoney: Bool { self == .profitTarget || self == .portfolioValue }
}
