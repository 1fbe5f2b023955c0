import Foundation
import KeelStore

/// Enqueues, lists, shows and cancels jobs. Enqueueing validates the kind and its payload first, so a worker
/// never meets a malformed job, and wakes this process's runner.
public struct JobService: Sendable {
    let context: ServiceContext
    let handlers: [String: any JobHandler]
    let runner: JobRunner?

    init(context: ServiceContext, handlers: [any JobHandler], runner: JobRunner?) {
        self.context = context
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.runner = runner
    }

    public var kinds: [String] { handlers.keys.sorted() }

    @discardableResult
    /// `createdBy`: the user who asked for the work (nil: the system's own), who may later cancel it.
    public func enqueue(kind: String, payload: String, idempotencyKey: String? = nil, runAfter: Date? = nil, createdBy: String? = nil) async throws -> JobRecord {
        guard let handler = handlers[kind] else {
            throw ServiceError.invalid("kind", "kind must be one of \(kinds.joined(separator: ", "))")
        }
        try handler.validate(payload: payload)
        let now = context.clock.now()
        let job = NewJob(kind: kind, payload: payload, maxAttempts: handler.maxAttempts, runAfter: runAfter ?? now, idempotencyKey: idempotencyKey,
                         createdBy: createdBy)
        let stored: JobRecord
        do {
            stored = try await context.database.write { try await $0.jobs.enqueue(job, id: UUID().uuidString.lowercased(), at: now) }
        } catch StoreError.duplicate {
            // The same idempotency key raced in from elsewhere: that job is this one.
            guard let key = idempotencyKey, let existing = try await context.database.read({ try await $0.jobs.find(idempotencyKey: key) }) else { throw StoreError.duplicate("job") }
            return existing
        }
        runner?.notify()
        return stored
    }

    /// Wakes this process's runner after a job was written inside another service's transaction.
    public func notifyRunner() {
        runner?.notify()
    }

    public func list(kind: String?, status: String?, limit: Int?, by principal: Principal) async throws -> [JobRecord] {
        try principal.ensureStaff()
        if let kind, handlers[kind] == nil { throw ServiceError.invalid("kind", "kind must be one of \(kinds.joined(separator: ", "))") }
        let state = try status.map { text -> JobStatus in
            guard let parsed = JobStatus(rawValue: text) else {
                throw ServiceError.invalid("status", "status must be one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        }
        let count = try FieldValidation.range(limit ?? 100, 1...1000, field: "limit")
        return try await context.database.read { try await $0.jobs.list(kind: kind, status: state, limit: count) }
    }

    public func get(_ id: String, by principal: Principal) async throws -> JobRecord {
        try principal.ensureStaff()
        guard let job = try await context.database.read({ try await $0.jobs.find(id) }) else { throw ServiceError.notFound("job \(id)", field: "job_id") }
        return job
    }

    /// A queued job is cancelled at once; a running one stops at its next checkpoint (at once in this process,
    /// within the watch interval in another). A finished job cannot be cancelled (409), nor a periodic duty: duties
    /// are the system's own, and a cancelled one would leave its work (reconciliation, say) off until the next slot
    /// (409 `duty_not_cancellable`). A job may be cancelled by whoever started it or by an admin; the system's own
    /// jobs (the cycle's) by an admin only (403).
    public func cancel(_ id: String, by principal: Principal) async throws -> JobRecord {
        try principal.ensureStaff()
        let now = context.clock.now()
        guard let before = try await context.database.read({ try await $0.jobs.find(id) }) else { throw ServiceError.notFound("job \(id)", field: "job_id") }
        guard !PeriodicDuty.isDuty(before.kind) else {
            throw ServiceError.conflict("duty_not_cancellable",
                                        "\(before.kind) is one of the server's periodic duties and cannot be cancelled; to stop trading, engage the kill switch")
        }
        guard principal.role == .admin || (before.createdBy != nil && before.createdBy == principal.userID) else {
            let starter = before.createdBy.map { "user '\($0)'" } ?? "the system"
            throw ServiceError(.forbidden, code: "forbidden", message: "job \(id) was started by \(starter); only its starter or an admin may cancel it")
        }
        guard !before.status.isFinished else {
            throw ServiceError.conflict("job_finished", "job \(id) is already \(before.status.rawValue)")
        }
        guard let after = try await context.database.write({ session -> JobRecord? in
            let updated = try await session.jobs.cancel(id, at: now)
            try await session.audit("job.cancel", actor: principal.userID, entityType: "job", entityID: id, clientID: nil, at: now,
                                    details: ["kind": before.kind, "status_before": before.status.rawValue])
            return updated
        }) else { throw ServiceError.notFound("job \(id)", field: "job_id") }
        // Running here: the work stops at its next checkpoint now, not at the next watch.
        if after.status == .running { await runner?.interrupt(id) }
        if after.status == .cancelled, before.status == .queued { try await handlers[after.kind]?.cancelledBeforeStart(after) }
        return after
    }
}
