import Foundation
import KeelStore

/// `cycle.run`: the cycle-level steps of one cycle (payload `{"cycle_id"}`).
struct CycleJobHandler: JobHandler {
    static let kind = "cycle.run"

    struct Payload: Codable, Sendable {
        var cycleID: String

        enum CodingKeys: String, CodingKey { case cycleID = "cycle_id" }
    }

    let coordinator: CycleCoordinator
    var kind: String { Self.kind }
    var concurrency: Int { 2 }
    var maxAttempts: Int { 3 }

    func validate(payload: String) throws { _ = try Self.decode(payload) }

    static func decode(_ payload: String) throws -> Payload {
        guard let decoded = try? StoredJSON.decode(Payload.self, payload), !decoded.cycleID.isEmpty else {
            throw ServiceError.invalid("payload", "a cycle.run job needs {\"cycle_id\"}")
        }
        return decoded
    }

    func run(_ job: RunningJob) async throws -> String? {
        try await coordinator.run(cycleID: try Self.decode(job.payload).cycleID, job: job)
    }
}
