import Foundation
import KeelCore
import KeelServices
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's goals page: the book's goals at a glance, one person's goals picked from a list, cancel,
/// create. A client login sees and manages its own goals only.
struct WorkspaceGoalsController: RouteCollection {
    let query: GoalsQuery
    let goals: GoalService

    struct GoalForm: Content {
        var user: String?
        var name: String?
        var goalType: String?
        var targetValue: String?
        var accountHash: String?

        enum CodingKeys: String, CodingKey { case user, name, goalType = "goal_type", targetValue = "target_value", accountHash = "account_hash" }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.GET, .goals, use: page)
            .openAPI("Goals: the book's at a glance (failing and at risk first), then a person's progress and factor history; cancel, create", response: .html)
        routes.on(.POST, .goals, use: create).openAPI("Create a goal (form post): back to the person's goals", status: .seeOther, response: .redirect)
        routes.on(.POST, WorkspaceRoute.cancelGoal, use: cancel).openAPI("Cancel a goal (form post): back to the person's goals", status: .seeOther, response: .redirect)
    }

    func page(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(user: req.queryText("user"), done: req.queryText("done"), error: req.queryText("error"), for: reader)
            .response(req, viewer: reader.viewer, GoalsPage.render)
    }

    static func back(_ req: Request, user: String?, done: String? = nil, error: String? = nil) -> Response {
        req.redirect(to: .goals, ["user": user ?? "", "done": done, "error": error])
    }

    func create(req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(GoalForm.self)) ?? GoalForm()
        // Only someone from this login's list: a hand-made form cannot name another person.
        guard let person = try await query.person(form.user, for: principal) else { return Self.back(req, user: nil, error: "failed") }
        guard let target = form.targetValue.flatMap({ Decimal(string: $0.trimmingCharacters(in: .whitespaces)) }) else {
            return Self.back(req, user: person.userID, error: "target_value")
        }
        guard let account = form.accountHash, try await query.accounts(of: person).contains(account) else {
            return Self.back(req, user: person.userID, error: "account_hash")
        }
        do {
            _ = try await goals.create(GoalInput(userID: person.userID, name: form.name, goalType: form.goalType, targetValue: target,
                                                 clientID: person.clientID, accountHash: account), by: principal)
            return Self.back(req, user: person.userID, done: "created")
        } catch let error as ServiceError {
            return Self.back(req, user: person.userID, error: error.field.flatMap { GoalsPage.messages[$0] == nil ? nil : $0 } ?? "failed")
        }
    }

    func cancel(req: Request) async throws -> Response {
        let principal = try req.principal
        let user = try? req.content.get(String.self, at: "user")
        do {
            _ = try await goals.cancel(try req.parameters.require("goal_id"), by: principal)
            return Self.back(req, user: user, done: "cancelled")
        } catch is ServiceError {
            return Self.back(req, user: user, error: "failed")
        }
    }
}
