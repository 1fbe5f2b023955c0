import Foundation
import KeelStore

/// Backtests run as jobs: the request is validated and stored, a `backtest` job is queued (so a restart or a
/// dead worker never leaves it running forever), and the job writes the outcome and report once.
public struct BacktestJobs: Sendable {
    let context: ServiceContext
    let runner: BacktestRunner

    public init(context: ServiceContext) {
        self.context = context
        self.runner = BacktestRunner(context: context)
    }

    /// Stores the backtest and queues its job; returns the backtest's id and its job's at once.
    public func submit(_ request: BacktestRequest, by principal: Principal, queue: JobService) async throws -> (backtestID: String, jobID: String) {
        try principal.ensureStaff()
        let request = try request.validated()
        let id = UUID().uuidString.lowercased()
        let encoded = String(decoding: try BacktestOutcome.encoder.encode(request), as: UTF8.self)
        let payload = String(decoding: try BacktestOutcome.encoder.encode(BacktestJobHandler.Payload(backtestId: id, request: request)), as: UTF8.self)
        let now = context.clock.now()
        try await context.database.write { try await $0.backtests.create(id: id, request: encoded, by: principal.userID, at: now) }
        let job = try await queue.enqueue(kind: "backtest", payload: payload, idempotencyKey: "backtest:\(id)", createdBy: principal.userID)
        return (id, job.jobID)
    }

    /// Runs a stored backtest and stores its outcome. A request the data cannot serve (a ServiceError) fails
    /// the backtest at once; anything else is thrown so the job is retried, and stored as the failure on the
    /// final attempt. Returns the backtest's final status.
    func execute(id: String, request: BacktestRequest, finalAttempt: Bool, job: RunningJob) async throws -> String {
        var result: String?, failure: String?
        do {
            let outcome = try await runner.run(request, cancellation: job.cancellation)
            // Only the outcome is stored; the HTML report is a view of it, rendered by the API when asked for.
            result = String(decoding: try BacktestOutcome.encoder.encode(outcome), as: UTF8.self)
        } catch let error as ServiceError {
            failure = error.message
        } catch let interruption as JobInterruption {
            // Cancelled: the backtest ends with that reason; released or taken over: the next attempt runs it.
            if interruption == .cancelled { try await cancelled(id: id, jobID: job.id) }
            throw interruption
        } catch {
            if !finalAttempt { throw error }
            failure = String(describing: error)
        }
        let now = context.clock.now()
        let (r, f) = (result, failure)
        try await context.database.write { try await $0.backtests.finish(id: id, result: r, report: nil, error: f, at: now) }
        return f == nil ? "succeeded" : "failed"
    }

    /// A backtest whose job was cancelled ends `failed` with that reason (once: a finished one is left alone).
    func cancelled(id: String, jobID: String) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            guard let record = try await session.backtests.find(id), record.finishedAt == nil else { return }
            try await session.backtests.finish(id: id, result: nil, report: nil, error: "cancelled (job \(jobID))", at: now)
        }
    }

    /// The most recent backtests, newest first.
    public func list(limit: Int, by principal: Principal) async throws -> [BacktestRecord] {
        try principal.ensureStaff()
        let count = try FieldValidation.range(limit, 1...500, field: "limit")
        return try await context.database.read { try await $0.backtests.list(limit: count) }
    }

    public func get(_ id: String, by principal: Principal) async throws -> BacktestRecord {
        try principal.ensureStaff()
        guard let record = try await context.database.read({ try await $0.backtests.find(id) }) else {
            throw ServiceError.notFound("backtest \(id)", field: "backtest_id")
        }
        return record
    }
}
