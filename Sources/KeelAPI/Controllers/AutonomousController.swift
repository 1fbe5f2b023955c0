import Foundation
import KeelServices
import Vapor

/// The autonomous daily cycle (runs, status) and the per-client controls it honours (pause, strategy override).
struct AutonomousController: RouteCollection {
    let controlService: ClientControlService
    let cycles: AutonomousCycleService
    /// The benchmark performance is measured against.
    let regimeSymbol: String

    func boot(routes: any RoutesBuilder) throws {
        let autonomous = routes.grouped("autonomous")
        autonomous.post("run", use: run)
            .openAPI("Start a cycle now (all active clients, or client_ids) as a job; 409 while a cycle of the same day runs (staff)",
                     body: CycleRunBody.self, example: APIExamples.cycleRun, status: .accepted, response: .json(CycleSubmittedResponse.self))
        autonomous.get("runs", use: runs).openAPI("Cycles, newest first (staff)", query: [.limit(default: 50, max: 500)])
        autonomous.get("runs", ":cycle_id", use: get)
            .openAPI("A cycle: status, every step with its inputs, outputs and duration, and each account's outcome (staff)")
        autonomous.get("status", use: status)
            .openAPI("Last and next cycle, regime, data freshness, broker connectivity, unknown orders, job queue, paused clients, switches (staff)")
        autonomous.get("performance", ":account_hash", use: performance)
            .openAPI("An account's live record: each day's value and return against SPY, and per strategy it ran", query: [
                .integer("days", "days of record, newest first (default 60)", min: 1, max: 2000)])
        let clients = routes.grouped("clients", ":client_id")
        clients.get("controls", use: controls).openAPI("A client's pause and strategy override")
        clients.post("pause", use: pause).openAPI("Pause a client's autonomous trading (staff)", body: ClientPauseBody.self)
        clients.post("resume", use: resume).openAPI("Resume a paused client's autonomous trading (staff)")
        clients.put("strategy-override", use: setOverride)
            .openAPI("Override a client's strategy until a time, with a reason (staff)", body: StrategyOverrideBody.self, example: APIExamples.strategyOverride)
        clients.delete("strategy-override", use: clearOverride).openAPI("End a client's strategy override (staff)")
    }

    func run(req: Request) async throws -> Response {
        let body = req.body.data == nil ? CycleRunBody() : try req.decodeBody(CycleRunBody.self)
        let run = try await cycles.run(body.request, by: req.principal)
        return try await CycleSubmittedResponse(cycleId: run.cycleID, jobId: run.jobID ?? "").encodeResponse(status: .accepted, for: req)
    }

    func runs(req: Request) async throws -> [CycleRunResponse] {
        try await cycles.list(limit: try req.query.get(Int?.self, at: "limit"), by: req.principal).map(CycleRunResponse.init)
    }

    func get(req: Request) async throws -> CycleDetailResponse {
        CycleDetailResponse(try await cycles.get(try req.parameters.require("cycle_id"), by: req.principal))
    }

    func status(req: Request) async throws -> AutonomyStatusResponse {
        AutonomyStatusResponse(try await cycles.status(by: req.principal))
    }

    func performance(req: Request) async throws -> AccountPerformanceResponse {
        let report = try await cycles.performance(accountHash: try req.parameters.require("account_hash"),
                                                           days: try req.query.get(Int?.self, at: "days"), by: req.principal)
        return AccountPerformanceResponse(report, benchmark: regimeSymbol)
    }

    func controls(req: Request) async throws -> ClientControlResponse {
        ClientControlResponse(try await controlService.control(clientID: try Self.clientID(req), by: req.principal))
    }

    func pause(req: Request) async throws -> ClientControlResponse {
        let body = req.body.data == nil ? ClientPauseBody() : try req.decodeBody(ClientPauseBody.self)
        return ClientControlResponse(try await controlService.pause(clientID: try Self.clientID(req), reason: body.reason, by: req.principal))
    }

    func resume(req: Request) async throws -> ClientControlResponse {
        ClientControlResponse(try await controlService.resume(clientID: try Self.clientID(req), by: req.principal))
    }

    func setOverride(req: Request) async throws -> ClientControlResponse {
        let body = try req.decodeBody(StrategyOverrideBody.self)
        return ClientControlResponse(try await controlService.setOverride(clientID: try Self.clientID(req), strategy: body.strategy, until: body.until,
                                                                             reason: body.reason, by: req.principal))
    }

    func clearOverride(req: Request) async throws -> ClientControlResponse {
        ClientControlResponse(try await controlService.clearOverride(clientID: try Self.clientID(req), by: req.principal))
    }

    static func clientID(_ req: Request) throws -> Int {
        guard let id = req.parameters.get("client_id", as: Int.self) else { throw ServiceError.invalid("client_id", "client_id must be an integer") }
        return id
    }
}
