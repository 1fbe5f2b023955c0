import Foundation

/// A periodic duty as a job kind: one in flight at a time, never retried (the next period runs it again).
struct DutyHandler: JobHandler {
    let kind: String
    let work: @Sendable (RunningJob) async throws -> String?

    var concurrency: Int { 1 }
    var maxAttempts: Int { 1 }

    func validate(payload: String) throws {}

    func run(_ job: RunningJob) async throws -> String? { try await work(job) }
}
