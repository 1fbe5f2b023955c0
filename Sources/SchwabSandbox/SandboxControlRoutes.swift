import Foundation
import Vapor

/// `/sandbox/…`: steer faults and read counters from scripts (loopback only; this is a test double).
struct SandboxControlRoutes {
    let state: SandboxState

    func register(_ app: Application) {
        app.post("sandbox", "faults", use: setFaults)
        app.delete("sandbox", "faults", use: clearFaults)
        app.get("sandbox", "counters", use: counters)
        app.get("health") { _ in "ok" }
    }

    func setFaults(req: Request) async throws -> Response {
        let rules = try JSONDecoder().decode([ChaosRule].self, from: req.body.data.map { Data(buffer: $0) } ?? Data("[]".utf8))
        await state.setChaos(rules)
        return SandboxErrors.json(.ok, ["faults": rules.count])
    }

    func clearFaults(req: Request) async throws -> Response {
        await state.setChaos([])
        return SandboxErrors.empty(.noContent)
    }

    func counters(req: Request) async throws -> Response {
        let counters = await state.counters
        return Response(status: .ok, body: .init(data: try JSONEncoder().encode(counters)))
    }
}
