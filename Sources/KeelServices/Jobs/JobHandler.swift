import Foundation
import KeelCore
import KeelStore

/// One kind of background work. Handlers are registered once; the runner claims jobs of their kind.
public protocol JobHandler: Sendable {
    var kind: String { get }
    /// Jobs of this kind running at once across every worker process.
    var concurrency: Int { get }
    var maxAttempts: Int { get }
    /// Runs on the compute executor (training, evaluation, backtests): a worker claims such a job only while one
    /// of its compute threads is free, so a job waiting for CPU stays `queued` (cancelled at once, or taken by
    /// another worker) instead of holding a lease while it waits.
    var isCPUBound: Bool { get }
    /// Refuses a malformed payload when the job is enqueued (a 422 naming the problem), so a worker never
    /// discovers it.
    func validate(payload: String) throws
    /// Does the work. Call `job.checkpoint()` between steps: it throws once the job is cancelled, its lease was
    /// lost or the worker is shutting down. Returns the result as JSON, or nil.
    func run(_ job: RunningJob) async throws -> String?
    /// A job of this kind was cancelled before any worker started it: whatever waits on it (a model version, a
    /// backtest) is ended with that reason.
    func cancelledBeforeStart(_ job: JobRecord) async throws
}

extension JobHandler {
    public func cancelledBeforeStart(_ job: JobRecord) async throws {}
    public var isCPUBound: Bool { false }
}

/// Thrown by a handler when retrying cannot help (the data or the settings are at fault): the job ends
/// `failed` with this message at once, whatever attempts remain.
public struct PermanentJobFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Raised at a checkpoint when the job must stop.
public enum JobInterruption: Error, Sendable, Equatable {
    /// `POST /api/jobs/{id}/cancel`: the job ends `cancelled`.
    case cancelled
    /// The worker is stopping: the job goes back to the queue without counting an attempt.
    case shuttingDown
    /// Another worker took the job after this one's lease expired; this one's outcome is discarded.
    case leaseLost
}

/// What a running handler can see and report.
public struct RunningJob: Sendable {
    public let record: JobRecord
    let state: JobRunState
    let report: @Sendable (Double, String?) async -> Void

    public var id: String { record.jobID }
    public var payload: String { record.payload }

    public func progress(_ fraction: Double, _ message: String? = nil) async {
        await report(fraction, message)
    }

    public func checkpoint() throws {
        if let interruption = state.interruption { throw interruption }
        if Task.isCancelled { throw JobInterruption.shuttingDown }
    }

    /// The job's checkpoint as the engines take it: work on a compute thread stops at its next check once the
    /// job is cancelled, its lease lost or its worker stopping.
    public var cancellation: CancellationCheck {
        let state = self.state
        return CancellationCheck { if let interruption = state.interruption { throw interruption } }
    }

    /// Progress from code that cannot await (an engine on a compute thread): kept, and written by the job's
    /// watcher within a second.
    public func note(progress fraction: Double, _ message: String? = nil) {
        state.note(progress: fraction, message)
    }
}

/// The interruption flag of one running job, set by its watcher, by a cancel in this process or by shutdown;
/// and the progress noted by work that cannot write it itself.
final class JobRunState: Sendable {
    private let flag = LockedValue<JobInterruption?>(nil)
    private let noted = LockedValue<(fraction: Double, message: String?)?>(nil)

    var interruption: JobInterruption? { flag.value }

    func interrupt(_ reason: JobInterruption) {
        flag.update { current in if current == nil { current = reason } }
    }

    func note(progress fraction: Double, _ message: String?) {
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        noted.update { $0 = (clamped, message) }
    }

    /// The progress noted since the last call, if any.
    func takeNotedProgress() -> (fraction: Double, message: String?)? {
        noted.update { value in defer { value = nil }; return value }
    }
}
