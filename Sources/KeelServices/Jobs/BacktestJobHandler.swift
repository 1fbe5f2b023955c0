import Foundation
import KeelStore

/// Runs a stored backtest (`backtests` row) as a job: the request is checked when the job is enqueued; the
/// outcome, or the reason it failed, is written to the backtest once.
struct BacktestJobHandler: JobHandler {
    struct Payload: Codable, Sendable {
        // `backtestId`, not `backtestID`: the shared coder's snake-case strategy must map it both ways.
        var backtestId: String
        var request: BacktestRequest
    }

    let jobs: BacktestJobs
    var kind: String { "backtest" }
    var concurrency: Int { 2 }
    var maxAttempts: Int { 2 }
    var isCPUBound: Bool { true }

    func validate(payload: String) throws {
        _ = try Self.decode(payload).request.validated()
    }

    static func decode(_ payload: String) throws -> Payload {
        do {
            return try BacktestOutcome.decoder.decode(Payload.self, from: Data(payload.utf8))
        } catch {
            throw ServiceError.invalid("payload", "a backtest job needs {\"backtest_id\", \"request\"}: \(error)")
        }
    }

    func run(_ job: RunningJob) async throws -> String? {
        let payload = try Self.decode(job.payload)
        try job.checkpoint()
        await job.progress(0.05, "loading bars")
        let final = job.record.attempts >= job.record.maxAttempts
        let status = try await jobs.execute(id: payload.backtestId, request: payload.request, finalAttempt: final, job: job)
        return try StoredJSON.encode(["backtest_id": payload.backtestId, "status": status])
    }

    func cancelledBeforeStart(_ job: JobRecord) async throws {
        try await jobs.cancelled(id: try Self.decode(job.payload).backtestId, jobID: job.jobID)
    }
}
