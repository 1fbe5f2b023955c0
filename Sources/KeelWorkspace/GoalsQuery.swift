import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb

/// The goals page: the book's goals at a glance (staff), then one person's goals with their progress and factor
/// history, adjustments and alerts. A client login sees its own only. People are picked from a list, never typed.
public struct GoalsQuery: Sendable {
    let context: ServiceContext
    let goals: GoalService

    public init(context: ServiceContext, goals: GoalService) {
        self.context = context
        self.goals = goals
    }

    /// The people whose goals this login may see: staff every active client's trading identity, a client itself.
    public func people(for principal: Principal) async throws -> [GoalsPage.Model.Person] {
        try await context.database.read { session in
            if principal.role.isStaff {
                return try await session.clients.names(status: .active, limit: 1000).map { client in
                    .init(userID: client.userID ?? ClientRecord.generatedTradingUserID(client.clientID), label: "\(client.firstName) \(client.lastName)",
                          clientID: client.clientID)
                }
            }
            guard let id = principal.clientID, let own = try await session.clients.find(id) else { return [] }
            return [.init(userID: own.tradingUserID, label: "\(own.firstName) \(own.lastName)", clientID: own.clientID)]
        }
    }

    /// One of this login's people by trading user id: a hand-made form cannot name anyone else.
    public func person(_ userID: String?, for principal: Principal) async throws -> GoalsPage.Model.Person? {
        try await people(for: principal).first { $0.userID == userID }
    }

    /// The active accounts of one person (read for the chosen person only, not for the whole list).
    public func accounts(of person: GoalsPage.Model.Person) async throws -> [String] {
        guard let clientID = person.clientID else { return [] }
        return try await context.database.read { try await $0.accounts.list(clientID: clientID) }.filter { $0.status == .active }.map(\.accountHash)
    }

    public func load(user wanted: String?, done: String?, error: String?, for reader: PageViewer) async throws -> PageOutcome<GoalsPage.Model> {
        let principal = reader.principal
        let people = try await people(for: principal)
        // Staff start on the book's overview; a client on its own goals.
        let chosen = people.first { $0.userID == wanted } ?? (reader.isStaff && wanted == nil ? nil : people.first)
        var shown: [GoalsPage.Model.Goal] = []
        var accounts: [String] = []
        var book: [GoalsPage.Model.BookGoal] = []
        if let chosen {
            for goal in try await goals.list(userID: chosen.userID, clientID: nil, status: nil, by: principal).prefix(50) {
                shown.append(try await detail(goal, by: principal))
            }
            accounts = try await self.accounts(of: chosen)
        } else if reader.isStaff {
            book = try await self.book(people: people)
        }
        return .page(GoalsPage.Model(viewer: reader.viewer, people: people, book: book, selected: chosen, accounts: accounts,
                                         goalTypes: GoalType.allCases.map(\.rawValue), goals: shown,
                                         notice: done.flatMap { GoalsPage.messages[$0] },
                                         error: error.map { GoalsPage.messages[$0] ?? "The action failed." }))
    }

    /// The book's goals that need attention first: failed, then at risk, then active, 200 at most (read in that
    /// order, so a large book still shows every failing goal before any healthy one); within a status the
    /// furthest from target first.
    func book(people: [GoalsPage.Model.Person]) async throws -> [GoalsPage.Model.BookGoal] {
        let byUser = Dictionary(people.map { ($0.userID, $0) }, uniquingKeysWith: { first, _ in first })
        let limit = 200
        let records = try await context.database.read { session in
            var found: [GoalRecord] = []
            for status in [GoalStatus.failed, .atRisk, .active] where found.count < limit {
                let progress = { (goal: GoalRecord) in goal.progressPct.isFinite ? goal.progressPct : 0 }
                found += try await session.goals.list(userID: nil, clientID: nil, statuses: [status], limit: limit - found.count)
                    .sorted { (progress($0), $0.name) < (progress($1), $1.name) }
            }
            return found
        }
        return records.map { goal in
            .init(person: byUser[goal.userID] ?? .init(userID: goal.userID, label: goal.userID, clientID: goal.clientID),
                  name: goal.name, type: goal.goalType.rawValue, status: goal.status.rawValue, progress: goal.progressPct.isFinite ? goal.progressPct : 0)
        }
    }

    func detail(_ goal: GoalRecord, by principal: Principal) async throws -> GoalsPage.Model.Goal {
        let history = try await goals.history(goal.goalID, by: principal)
        let adjustments = try await goals.adjustments(goal.goalID, by: principal).suffix(20).reversed().map { entry in
            (at: entry.createdAt, change: "factor \(entry.oldFactor.map { String(format: "%.2f", $0) } ?? "–") → \(String(format: "%.2f", entry.newFactor)), "
                + "strategy \(entry.oldStrategy ?? "–") → \(entry.newStrategy) (\(entry.trigger))", reason: entry.reason)
        }
        let alerts = try await goals.alerts(goal.goalID, by: principal).sorted { $0.createdAt > $1.createdAt }.prefix(20)
            .map { (at: $0.createdAt, severity: $0.severity, message: $0.message) }
        return .init(goalID: goal.goalID, name: goal.name, type: goal.goalType.rawValue, target: goal.targetValue.doubleValue,
                     status: goal.status.rawValue, progress: goal.progressPct.isFinite ? goal.progressPct : 0, factor: goal.sizingFactor,
                     strategy: goal.selectedStrategy, reason: goal.strategyReason, periodEnd: goal.periodEnd == .distantFuture ? nil : goal.periodEnd,
                     progressHistory: history.map { ($0.recordedAt, $0.progressPct) }, factorHistory: history.map { ($0.recordedAt, $0.sizingFactor) },
                     adjustments: Array(adjustments), alerts: Array(alerts))
    }
}
