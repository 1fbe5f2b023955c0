import KeelServices
import KeelStore
import Vapor

/// Financial goals: create, read, list by user, update, cancel; progress history, sizing, strategy,
/// adjustments and alerts of each.
struct GoalController: RouteCollection {
    let goals: GoalService

    func boot(routes: any RoutesBuilder) throws {
        let goals = routes.grouped("goals")
        goals.post(use: create).openAPI("Set a financial goal", body: GoalBody.self, example: APIExamples.goal)
        goals.get(use: list).openAPI("Goals you may see", query: [.string("user_id", "only this login's"), .integer("client_id", "only this client's"), .choice("status", "only goals in this status", GoalStatus.self)])
        goals.get("sizing", use: userSizing).openAPI("How goals steer a login's position sizing now", query: [.string("user_id", "whose (staff; default: you)")])
        goals.get(":goal_id", use: get).openAPI("Get a goal with its progress")
        goals.patch(":goal_id", use: update).openAPI("Change a goal (only the fields given)", body: GoalUpdateBody.self)
        goals.put(":goal_id", use: update).openAPI("Change a goal (only the fields given)", body: GoalUpdateBody.self)
        goals.delete(":goal_id", use: cancel).openAPI("Cancel a goal")
        goals.post(":goal_id", "cancel", use: cancel).openAPI("Cancel a goal")
        goals.get(":goal_id", "history", use: history).openAPI("A goal's progress history")
        goals.get(":goal_id", "sizing", use: sizing).openAPI("The position-sizing factor a goal sets now")
        goals.get(":goal_id", "strategy", use: strategy).openAPI("The strategy a goal's progress selects")
        goals.get(":goal_id", "adjustments", use: adjustments).openAPI("Risk adjustments made for a goal")
        goals.get(":goal_id", "alerts", use: alerts).openAPI("Alerts raised for a goal")
    }

    func goalID(_ req: Request) -> String { req.parameters.get("goal_id") ?? "" }

    func create(req: Request) async throws -> GoalResponse {
        GoalResponse(try await goals.create(try req.decodeBody(GoalBody.self).input, by: req.principal))
    }

    func list(req: Request) async throws -> [GoalResponse] {
        try await goals.list(userID: try req.query.get(String?.self, at: "user_id"), clientID: try req.query.get(Int?.self, at: "client_id"),
                                      status: try req.query.get(String?.self, at: "status"), by: req.principal).map(GoalResponse.init)
    }

    func get(req: Request) async throws -> GoalResponse {
        GoalResponse(try await goals.get(goalID(req), by: req.principal))
    }

    func update(req: Request) async throws -> GoalResponse {
        GoalResponse(try await goals.update(goalID(req), try req.decodeBody(GoalUpdateBody.self).update, by: req.principal))
    }

    func cancel(req: Request) async throws -> GoalResponse {
        GoalResponse(try await goals.cancel(goalID(req), by: req.principal))
    }

    func history(req: Request) async throws -> [GoalHistoryResponse] {
        try await goals.history(goalID(req), by: req.principal).map(GoalHistoryResponse.init)
    }

    func sizing(req: Request) async throws -> GoalSizingResponse {
        GoalSizingResponse(try await goals.sizing(goalID(req), by: req.principal))
    }

    func userSizing(req: Request) async throws -> GoalSteeringResponse {
        let principal = try req.principal
        guard let userID = try req.query.get(String?.self, at: "user_id") ?? (principal.role.isStaff ? nil : principal.userID) else {
            throw ServiceError.invalid("user_id", "user_id is required")
        }
        return GoalSteeringResponse(userID: userID, try await goals.sizing(userID: userID, by: principal))
    }

    func strategy(req: Request) async throws -> GoalStrategyResponse {
        let (goal, instance) = try await goals.strategy(goalID(req), by: req.principal)
        return GoalStrategyResponse(goalId: goal.goalID, progressPct: goal.progressPct, strategy: goal.selectedStrategy, reason: goal.strategyReason,
                                    strategyInstance: instance.map(StrategyInstanceResponse.init))
    }

    func adjustments(req: Request) async throws -> [GoalAdjustmentResponse] {
        try await goals.adjustments(goalID(req), by: req.principal).map(GoalAdjustmentResponse.init)
    }

    func alerts(req: Request) async throws -> [AlertResponse] {
        try await goals.alerts(goalID(req), by: req.principal).map(AlertResponse.init)
    }
}
