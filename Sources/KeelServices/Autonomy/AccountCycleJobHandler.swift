import Foundation
import KeelStore

/// `cycle.account`: one account's steps of one cycle (payload `{"cycle_id", "account_hash"}`): a live (Schwab)
/// account, whose orders go to a broker one by one, or an account a chunk handed on after an unexpected failure.
/// Jobs are claimed with SKIP LOCKED by any worker process; the account row's claim keeps a second job off it.
struct AccountCycleJobHandler: JobHandler {
    static let kind = "cycle.account"
    static let attempts = 3

    struct Payload: Codable, Sendable {
        var cycleID: String
        var accountHash: String

        enum CodingKeys: String, CodingKey { case cycleID = "cycle_id", accountHash = "account_hash" }
    }

    let runner: AccountCycleRunner
    let concurrency: Int
    var kind: String { Self.kind }
    var maxAttempts: Int { Self.attempts }

    func validate(payload: String) throws { _ = try Self.decode(payload) }

    static func decode(_ payload: String) throws -> Payload {
        guard let decoded = try? StoredJSON.decode(Payload.self, payload), !decoded.cycleID.isEmpty, !decoded.accountHash.isEmpty else {
            throw ServiceError.invalid("payload", "a cycle.account job needs {\"cycle_id\", \"account_hash\"}")
        }
        return decoded
    }

    func run(_ job: RunningJob) async throws -> String? {
        let payload = try Self.decode(job.payload)
        guard let entry = try await runner.run(job, cycleID: payload.cycleID, accountHashes: [payload.accountHash], onUnexpectedFailure: .failTheJob).first else {
            return try StoredJSON.encode(["outcome": "already processed or the cycle ended"])
        }
        return try StoredJSON.encode(["status": entry.status.rawValue, "outcome": entry.outcome ?? ""])
    }
}
