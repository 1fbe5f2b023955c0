import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's goals page: pick a person from a list, see and cancel their goals, create one. A client
/// login sees and manages its own goals only.
struct WorkspaceGoalsController: RouteCollection {
    struct GoalForm: Content {
        var user: String?
        var name: String?
        var goalType: String?
        var targetValue: String?
        var accountHash: String?

        enum CodingKeys: String, CodingKey { case user, name, goalType = "goal_type", targetValue = "target_value", accountHash = "account_hash" }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("goals", use: page).openAPI("Goals of a person picked from a list: progress and factor history, cancel, create", response: .html)
        routes.post("goals", use: create).openAPI("Create a goal (form post): back to the person's goals", status: .seeOther, response: .redirect)
        routes.post("goals", ":goal_id", "cancel", use: cancel).openAPI("Cancel a goal (form post): back to the person's goals", status: .seeOther, response: .redirect)
    }

    static let messages: [String: String] = [
        "created": "The goal was created.", "cancelled": "The goal was cancelled.", "name": "The goal needs a name.",
        "goal_type": "Choose a kind of goal.", "target_value": "The target must be a number in range for that kind of goal.",
        "account_hash": "Choose one of the person's accounts.", "period_end": "That kind of goal needs an end date.",
    ]

    /// The people whose goals this login may see: staff every client's trading identity, a client itself.
    static func people(_ req: Request, _ principal: Principal) async throws -> [GoalsWorkspaceModel.Person] {
        try await req.keel.context.database.read { session in
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

    /// The active accounts of one person (read for the chosen person only, not for the whole list).
    static func accounts(_ req: Request, of person: GoalsWorkspaceModel.Person) async throws -> [String] {
        guard let clientID = person.clientID else { return [] }
        return try await req.keel.context.database.read { try await $0.accounts.list(clientID: clientID) }.filter { $0.status == .active }.map(\.accountHash)
    }

    func page(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        let people = try await Self.people(req, principal)
        let wanted = try? req.query.get(String.self, at: "user")
        let chosen = people.first { $0.userID == wanted } ?? (principal.role.isStaff && wanted == nil ? nil : people.first)
        var goals: [GoalsWorkspaceModel.Goal] = []
        if let chosen {
            for goal in try await req.keel.goals.list(userID: chosen.userID, clientID: nil, status: nil, by: principal).prefix(50) {
                let history = try await req.keel.goals.history(goal.goalID, by: principal)
                let adjustments = try await req.keel.goals.adjustments(goal.goalID, by: principal).suffix(20).reversed().map { entry in
                    (at: entry.createdAt, change: "factor \(entry.oldFactor.map { String(format: "%.2f", $0) } ?? "–") → \(String(format: "%.2f", entry.newFactor)), "
                        + "strategy \(entry.oldStrategy ?? "–") → \(entry.newStrategy) (\(entry.trigger))", reason: entry.reason)
                }
                let alerts = try await req.keel.goals.alerts(goal.goalID, by: principal).sorted { $0.createdAt > $1.createdAt }.prefix(20)
                    .map { (at: $0.createdAt, severity: $0.severity, message: $0.message) }
                goals.append(.init(goalID: goal.goalID, name: goal.name, type: goal.goalType.rawValue, target: NSDecimalNumber(decimal: goal.targetValue).doubleValue,
                                   status: goal.status.rawValue, progress: goal.progressPct.isFinite ? goal.progressPct : 0, factor: goal.sizingFactor,
                                   strategy: goal.selectedStrategy, reason: goal.strategyReason, periodEnd: goal.periodEnd == .distantFuture ? nil : goal.periodEnd,
                                   progressHistory: history.map { ($0.recordedAt, $0.progressPct) }, factorHistory: history.map { ($0.recordedAt, $0.sizingFactor) },
                                   adjustments: Array(adjustments), alerts: Array(alerts)))
            }
        }
        let done = (try? req.query.get(String.self, at: "done")).flatMap { Self.messages[$0] }
        let failed = (try? req.query.get(String.self, at: "error")).map { Self.messages[$0] ?? "The action failed." }
        var accounts: [String] = []
        if let chosen { accounts = try await Self.accounts(req, of: chosen) }
        let model = GoalsWorkspaceModel(viewer: viewer, people: people, selected: chosen, accounts: accounts,
                                        goalTypes: GoalType.allCases.map(\.rawValue), goals: goals, notice: done, error: failed)
        return WebSession.page(GoalsWorkspacePage.render(model))
    }

    static func back(_ req: Request, user: String?, _ query: String) -> Response {
        let encoded = (user ?? "").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return req.redirect(to: "/app/goals?user=\(encoded)&\(query)", redirectType: .normal)
    }

    func create(req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(GoalForm.self)) ?? GoalForm()
        // Only someone from this login's list: a hand-made form cannot name another person.
        guard let person = try await Self.people(req, principal).first(where: { $0.userID == form.user }) else {
            return Self.back(req, user: nil, "error=failed")
        }
        guard let target = form.targetValue.flatMap({ Decimal(string: $0.trimmingCharacters(in: .whitespaces)) }) else {
            return Self.back(req, user: person.userID, "error=target_value")
        }
        guard let account = form.accountHash, try await Self.accounts(req, of: person).contains(account) else {
            return Self.back(req, user: person.userID, "error=account_hash")
        }
        do {
            _ = try await req.keel.goals.create(GoalInput(userID: person.userID, name: form.name, goalType: form.goalType, targetValue: target,
                                                          clientID: person.clientID, accountHash: account), by: principal)
            return Self.back(req, user: person.userID, "done=created")
        } catch let error as ServiceError {
            let code = error.field.flatMap { Self.messages[$0] == nil ? nil : $0 } ?? "failed"
            return Self.back(req, user: person.userID, "error=\(code)")
        }
    }

    func cancel(req: Request) async throws -> Response {
        let principal = try req.principal
        let user = try? req.content.get(String.self, at: "user")
        do {
            _ = try await req.keel.goals.cancel(try req.parameters.require("goal_id"), by: principal)
            return Self.back(req, user: user, "done=cancelled")
        } catch is ServiceError {
            return Self.back(req, user: user, "error=failed")
        }
    }
}
