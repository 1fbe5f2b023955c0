import KeelServices
import Vapor

struct SystemController: RouteCollection {
    let system: SystemControlService
    let reconciliation: ReconciliationService

    func boot(routes: any RoutesBuilder) throws {
        let system = routes.grouped("system")
        system.get("trading", use: switches).openAPI("The trading switches: kill switch and pause")
        system.post("kill-switch", use: killSwitch).openAPI("Engage or release the kill switch (staff)", body: KillSwitchBody.self)
        system.post("pause", use: pause).openAPI("Pause or resume automated trading (staff)", body: PauseBody.self)
        system.post("reconcile", use: reconcile).openAPI("Reconcile orders and books with the brokers now (staff)")
        system.post("reconcile", "accounts", ":account_hash", "resolve", use: resolveHalt).openAPI("Lift an account's reconciliation halt (admin)", body: ResolveHaltBody.self)
    }

    /// Lifts the halt a reconciliation difference put on an account (admin).
    func resolveHalt(req: Request) async throws -> AccountResponse {
        let hash = try req.parameters.require("account_hash")
        let body = req.body.data == nil ? ResolveHaltBody() : try req.decodeBody(ResolveHaltBody.self)
        return AccountResponse(try await reconciliation.resolve(accountHash: hash, adoptBrokerBooks: body.adoptBrokerBooks ?? false,
                                                                         by: req.principal))
    }

    func switches(req: Request) async throws -> TradingSwitchesResponse {
        _ = try req.principal
        return Self.response(try await system.switches())
    }

    func killSwitch(req: Request) async throws -> TradingSwitchesResponse {
        let body = try req.decodeBody(KillSwitchBody.self)
        guard let engaged = body.engaged else { throw ServiceError.invalid("engaged", "engaged (true or false) is required") }
        return Self.response(try await system.setKillSwitch(engaged: engaged, reason: body.reason, by: req.principal))
    }

    func pause(req: Request) async throws -> TradingSwitchesResponse {
        let body = try req.decodeBody(PauseBody.self)
        guard let paused = body.paused else { throw ServiceError.invalid("paused", "paused (true or false) is required") }
        return Self.response(try await system.setPaused(paused, reason: body.reason, by: req.principal))
    }

    func reconcile(req: Request) async throws -> ReconciliationResponse {
        try req.principal.ensureStaff()
        let report = try await reconciliation.reconcile()
        return ReconciliationResponse(ordersResolved: report.ordersResolved, ordersStillUnknown: report.ordersStillUnknown,
                                      batchesFinished: report.batchesFinished,
                                      mismatches: report.mismatches.map { .init(accountHash: $0.accountHash, symbol: $0.symbol, keel: $0.keel, broker: $0.broker) })
    }

    static func response(_ switches: TradingSwitches) -> TradingSwitchesResponse {
        TradingSwitchesResponse(killSwitchEngaged: switches.killSwitchEngaged, tradingPaused: switches.tradingPaused)
    }
}
