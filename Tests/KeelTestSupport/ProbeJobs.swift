import Foundation
import KeelServices
import Synchronization

/// What probe jobs did, across every worker of a test: which job ran, by attempt.
public final class ProbeLog: Sendable {
    private let runs = Mutex<[(id: String, owner: String)]>([])

    public init() {}

    public func record(_ job: RunningJob) { runs.withLock { $0.append((job.id, job.record.leaseOwner ?? "?")) } }
    public var all: [String] { runs.withLock { $0.map(\.id) } }
    public var owners: Set<String> { runs.withLock { Set($0.map(\.owner)) } }
}

/// Succeeds, after failing the first `failures` attempts of each job; logs every run.
public struct RecordingJob: JobHandler {
    public let kind: String
    public let log: ProbeLog
    public let failures: Int
    public let concurrency: Int
    public let maxAttempts: Int

    public init(kind: String = "test.record", log: ProbeLog, failures: Int = 0, concurrency: Int = 100, maxAttempts: Int = 3) {
        self.kind = kind
        self.log = log
        self.failures = failures
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
    }

    public func validate(payload: String) throws {
        guard (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) is [String: Any] else {
            throw ServiceError.invalid("payload", "a \(kind) job takes a JSON object")
        }
    }

    public func run(_ job: RunningJob) async throws -> String? {
        log.record(job)
        try job.checkpoint()
        if job.record.attempts <= failures { throw ProbeFailure(attempt: job.record.attempts) }
        return "{\"attempt\":\(job.record.attempts)}"
    }
}

public struct ProbeFailure: Error, CustomStringConvertible {
    public let attempt: Int
    public var description: String { "probe failure at attempt \(attempt)" }
}

/// Runs until interrupted, reaching a checkpoint every few milliseconds (real time).
public struct BlockingJob: JobHandler {
    public let log: ProbeLog
    public var kind: String { "test.block" }
    public var concurrency: Int { 10 }
    public var maxAttempts: Int { 3 }

    public init(log: ProbeLog) { self.log = log }

    public func validate(payload: String) throws {}

    public func run(_ job: RunningJob) async throws -> String? {
        log.record(job)
        while true {
            try job.checkpoint()
            await job.progress(0.5, "waiting to be stopped")
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}
