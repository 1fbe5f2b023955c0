import Foundation
import KeelStore

/// `cycle.chunk`: a chunk of paper accounts' steps of one cycle (payload `{"cycle_id", "account_hashes"}`). Each
/// step runs for the whole chunk, so its records, stop checks and job bookkeeping cost one statement per chunk
/// instead of one per account. Claimed with SKIP LOCKED by any worker process; the accounts' claim (one statement
/// for the chunk) keeps any other job off them. An account that fails unexpectedly goes on in its own
/// `cycle.account` job with the attempts left, so one account's fault never reruns the other accounts' chunk.
struct CycleChunkJobHandler: JobHandler {
    static let kind = "cycle.chunk"
    static let attempts = AccountCycleJobHandler.attempts
    /// The most accounts one chunk job may carry (the payload is bounded like any other input).
    static let maximumAccounts = 1_000

    struct Payload: Codable, Sendable {
        var cycleID: String
        var accountHashes: [String]

        enum CodingKeys: String, CodingKey { case cycleID = "cycle_id", accountHashes = "account_hashes" }
    }

    let runner: AccountCycleRunner
    let concurrency: Int
    var kind: String { Self.kind }
    var maxAttempts: Int { Self.attempts }

    func validate(payload: String) throws { _ = try Self.decode(payload) }

    static func decode(_ payload: String) throws -> Payload {
        guard let decoded = try? StoredJSON.decode(Payload.self, payload), !decoded.cycleID.isEmpty,
              (1...maximumAccounts).contains(decoded.accountHashes.count), !decoded.accountHashes.contains(where: \.isEmpty) else {
            throw ServiceError.invalid("payload", "a cycle.chunk job needs {\"cycle_id\", \"account_hashes\": 1 to \(maximumAccounts) account hashes}")
        }
        return decoded
    }

    func run(_ job: RunningJob) async throws -> String? {
        let payload = try Self.decode(job.payload)
        let attemptsLeft = max(job.record.maxAttempts - job.record.attempts, 1)
        let entries = try await runner.run(job, cycleID: payload.cycleID, accountHashes: payload.accountHashes,
                                           onUnexpectedFailure: .handOff(attemptsLeft: attemptsLeft))
        var counts: [String: Int] = [:]
        for entry in entries { counts[entry.status.rawValue, default: 0] += 1 }
        return try StoredJSON.encode(["accounts": payload.accountHashes.count, "finished": entries.count, "handed_off_or_held_elsewhere":
                                        payload.accountHashes.count - entries.count].merging(counts) { first, _ in first })
    }
}
