import KeelCore
import KeelServices
import Vapor

struct HealthController: RouteCollection {
    let system: SystemControlService
    let cycles: AutonomousCycleService
    let marketData: MarketDataQueries
    let clock: any KeelClock
    let schwabConfigured: Bool
    struct Liveness: Content { var status: String }

    struct Readiness: Content {
        var status: String
        var database: String
        var killSwitchEngaged: Bool?
        var latestPriceAt: Date?
        /// Seconds since the newest stored bar.
        var dataAgeSeconds: Double?
        /// Per broker: accounts by state (active, disconnected, closed, halted); Schwab "not_configured" when no app is set up.
        var brokers: [String: [String: Int]]?
        var schwab: String?
        var lastCycle: LastCycle?
    }

    struct LastCycle: Content {
        var cycleId: String
        var status: String
        var cycleDate: String
        var finishedAt: Date?
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("health", use: liveness).openAPI("Liveness: the process answers")
        routes.get("health", "ready", use: readiness).openAPI("Readiness: the database answers; trading switches and price freshness", response: .json(Readiness.self), alternatives: [.serviceUnavailable: Readiness.self])
    }

    func liveness(req: Request) async throws -> Liveness { Liveness(status: "ok") }

    /// Ready when the database answers; reports the trading switches and how fresh the prices are.
    func readiness(req: Request) async throws -> Response {
        do {
            let switches = try await system.switches()
            let latest = try await marketData.newestBarTime()
            let (last, brokers) = try await cycles.readiness()
            let now = clock.now()
            let body = Readiness(status: "ready", database: "ok", killSwitchEngaged: switches.killSwitchEngaged, latestPriceAt: latest,
                                 dataAgeSeconds: latest.map { now.timeIntervalSince($0) }, brokers: brokers,
                                 schwab: schwabConfigured ? "configured" : "not_configured",
                                 lastCycle: last.map { LastCycle(cycleId: $0.cycleID, status: $0.status.rawValue, cycleDate: $0.cycleDate, finishedAt: $0.finishedAt) })
            return try await body.encodeResponse(status: .ok, for: req)
        } catch {
            req.logger.warning("readiness check failed: \(error)")
            return try await Readiness(status: "unavailable", database: "unreachable").encodeResponse(status: .serviceUnavailable, for: req)
        }
    }
}
