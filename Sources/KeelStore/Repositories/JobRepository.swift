import FluentKit
import Foundation
import SQLKit

/// The jobs table: enqueue, claim under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers of
/// several processes never take one job twice), heartbeat, finish, retry, cancel, and recover expired leases.
public struct JobRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let columns = """
        job_id, kind, payload, status, progress, progress_message, attempts, max_attempts, run_after, lease_owner, lease_expires_at, \
        heartbeat_at, cancel_requested, result, error, idempotency_key, created_at, started_at, finished_at, created_by
        """

    /// Inserts the job, or returns the existing one with the same idempotency key.
    public func enqueue(_ job: NewJob, id: String, at now: Date) async throws -> JobRecord {
        if try await enqueue([(job, id)], at: now) == 0, let key = job.idempotencyKey, let existing = try await find(idempotencyKey: key) {
            return existing
        }
        guard let stored = try await find(id) else { throw StoreError.notFound("job \(id)") }
        return stored
    }

    /// Inserts many jobs with idempotency keys in one multi-row statement (one read finds the keys already queued,
    /// one notification wakes the workers); returns how many were new.
    @discardableResult
    public func enqueue(_ jobs: [(job: NewJob, id: String)], at now: Date) async throws -> Int {
        let keys = jobs.compactMap(\.job.idempotencyKey)
        var existing = Set<String>()
        for start in stride(from: 0, to: keys.count, by: 500) {
            for row in try await sql.select().column("idempotency_key").from("jobs").where("idempotency_key", .in, Array(keys[start..<min(start + 500, keys.count)])).all() {
                existing.insert(try row.decode(column: "idempotency_key", as: String.self))
            }
        }
        let fresh = jobs.filter { $0.job.idempotencyKey.map { !existing.contains($0) } ?? true }
        for start in stride(from: 0, to: fresh.count, by: 200) {
            var insert = sql.insert(into: "jobs").columns("job_id", "kind", "payload", "status", "progress", "attempts", "max_attempts", "run_after",
                                                          "cancel_requested", "idempotency_key", "created_at", "created_by")
            for (job, id) in fresh[start..<min(start + 200, fresh.count)] {
                insert = insert.values(SQLBind(id), SQLBind(job.kind), SQLBind(job.payload), SQLBind(JobStatus.queued.rawValue), SQLBind(0.0), SQLBind(0),
                                       SQLBind(job.maxAttempts), SQLBind(job.runAfter), SQLBind(false), SQLBind(job.idempotencyKey), SQLBind(now),
                                       SQLBind(job.createdBy))
            }
            try await insert.run()
        }
        if !fresh.isEmpty { try await JobWakeups.notify(sql) }
        return fresh.count
    }

    public func find(_ id: String) async throws -> JobRecord? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE job_id = \(bind: id)").first().map(Self.record)
    }

    public func find(idempotencyKey: String) async throws -> JobRecord? {
        try await sql.raw("SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE idempotency_key = \(bind: idempotencyKey)").first().map(Self.record)
    }

    public func list(kind: String?, status: JobStatus?, limit: Int) async throws -> [JobRecord] {
        var query = sql.select().column(SQLRaw(Self.columns)).from("jobs")
        if let kind { query = query.where("kind", .equal, kind) }
        if let status { query = query.where("status", .equal, status.rawValue) }
        return try await query.orderBy("created_at", .descending).orderBy("job_id").limit(limit).all().map(Self.record)
    }

    /// Running jobs per kind (for per-kind concurrency limits across every worker).
    public func runningCounts() async throws -> [String: Int] {
        let rows = try await sql.raw("SELECT kind, COUNT(*) AS n FROM jobs WHERE status = 'running' GROUP BY kind").all()
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode(column: "kind", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    /// Queued jobs per kind (due or not).
    public func queueDepth() async throws -> [String: Int] {
        let rows = try await sql.raw("SELECT kind, COUNT(*) AS n FROM jobs WHERE status = 'queued' GROUP BY kind").all()
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode(column: "kind", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    /// Serialises claims of these kinds across processes until the transaction ends (PostgreSQL advisory locks).
    public func lockClaims(kinds: [String], in session: Session) async throws {
        guard session.dialect == .postgres else { return }
        for kind in kinds.sorted() {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-jobs:" + kind)))").all()
        }
    }

    /// Takes the oldest due queued job of one of `kinds` under a lease for `owner`. Run in a write transaction.
    public func claim(kinds: [String], owner: String, now: Date, leaseUntil: Date, in session: Session) async throws -> JobRecord? {
        try await claim(kinds: kinds, limit: 1, owner: owner, now: now, leaseUntil: leaseUntil, in: session).first
    }

    /// Takes up to `limit` of the oldest due queued jobs of `kinds` in one statement (rows other workers hold
    /// are skipped on PostgreSQL; SQLite's single writer makes the statement exclusive).
    public func claim(kinds: [String], limit: Int, owner: String, now: Date, leaseUntil: Date, in session: Session) async throws -> [JobRecord] {
        guard !kinds.isEmpty, limit > 0 else { return [] }
        // PostgreSQL may re-run an `IN (subquery … LIMIT n)` per candidate row and so take more than n rows;
        // `= ANY(ARRAY(…))` is evaluated once. SQLite has neither row locks nor arrays, and needs neither.
        let picked: SQLQueryString = session.dialect == .postgres
            ? "job_id = ANY(ARRAY(SELECT job_id FROM jobs WHERE status = 'queued' AND run_after <= \(bind: now) AND kind IN (\(binds: kinds)) ORDER BY run_after, created_at, job_id LIMIT \(bind: limit) FOR UPDATE SKIP LOCKED))"
            : "job_id IN (SELECT job_id FROM jobs WHERE status = 'queued' AND run_after <= \(bind: now) AND kind IN (\(binds: kinds)) ORDER BY run_after, created_at, job_id LIMIT \(bind: limit))"
        return try await sql.raw("""
            UPDATE jobs SET status = 'running', lease_owner = \(bind: owner), lease_expires_at = \(bind: leaseUntil), heartbeat_at = \(bind: now),
                   attempts = attempts + 1, started_at = \(bind: now), error = NULL
            WHERE status = 'queued' AND \(picked)
            RETURNING \(unsafeRaw: Self.columns)
            """).all().map(Self.record).sorted { ($0.runAfter, $0.createdAt, $0.jobID) < ($1.runAfter, $1.createdAt, $1.jobID) }
    }

    /// Renews the lease; nil when the job is no longer this owner's (expired and taken, or finished).
    public func heartbeat(_ id: String, owner: String, now: Date, leaseUntil: Date) async throws -> JobRecord? {
        try await sql.raw("""
            UPDATE jobs SET heartbeat_at = \(bind: now), lease_expires_at = \(bind: leaseUntil)
            WHERE job_id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
            """).run()
        guard let job = try await find(id), job.status == .running, job.leaseOwner == owner else { return nil }
        return job
    }

    public func progress(_ id: String, owner: String, fraction: Double, message: String?) async throws {
        try await sql.raw("""
            UPDATE jobs SET progress = \(bind: min(max(fraction, 0), 1)), progress_message = \(bind: message)
            WHERE job_id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
            """).run()
    }

    /// Ends a running job of `owner`; false when the lease was lost (another worker owns the outcome).
    public func finish(_ id: String, owner: String, status: JobStatus, result: String?, error: String?, at now: Date) async throws -> Bool {
        let rows = try await sql.raw("""
            UPDATE jobs SET status = \(bind: status.rawValue), result = \(bind: result), error = \(bind: error), finished_at = \(bind: now),
                   progress = CASE WHEN \(bind: status.rawValue) = 'succeeded' THEN 1 ELSE progress END, lease_owner = NULL, lease_expires_at = NULL
            WHERE job_id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
            RETURNING job_id
            """).all()
        // A kind's slot is free again: workers elsewhere may claim its next job now.
        if !rows.isEmpty { try await JobWakeups.notify(sql) }
        return !rows.isEmpty
    }

    /// Puts a running job of `owner` back in the queue at `runAfter` (a retry, or a release at shutdown that
    /// does not count as an attempt).
    public func requeue(_ id: String, owner: String, runAfter: Date, error: String?, countAttempt: Bool) async throws -> Bool {
        let rows = try await sql.raw("""
            UPDATE jobs SET status = 'queued', run_after = \(bind: runAfter), error = \(bind: error), lease_owner = NULL, lease_expires_at = NULL,
                   attempts = attempts - \(bind: countAttempt ? 0 : 1)
            WHERE job_id = \(bind: id) AND status = 'running' AND lease_owner = \(bind: owner)
            RETURNING job_id
            """).all()
        if !rows.isEmpty { try await JobWakeups.notify(sql) }
        return !rows.isEmpty
    }

    /// Jobs whose worker stopped renewing the lease: re-queued while attempts remain, else failed with the reason.
    @discardableResult
    public func recoverExpired(at now: Date) async throws -> (requeued: Int, failed: Int) {
        let expired = try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE status = 'running' AND lease_expires_at < \(bind: now)
            """).all().map(Self.record)
        var requeued = 0, failed = 0
        for job in expired {
            let reason = "lease of worker \(job.leaseOwner ?? "?") expired at attempt \(job.attempts) (the worker stopped)"
            if job.attempts < job.maxAttempts, !job.cancelRequested {
                try await sql.raw("""
                    UPDATE jobs SET status = 'queued', run_after = \(bind: now), error = \(bind: reason), lease_owner = NULL, lease_expires_at = NULL
                    WHERE job_id = \(bind: job.jobID) AND status = 'running' AND lease_expires_at < \(bind: now)
                    """).run()
                requeued += 1
            } else {
                let status = job.cancelRequested ? "cancelled" : "failed"
                try await sql.raw("""
                    UPDATE jobs SET status = \(bind: status), error = \(bind: reason), finished_at = \(bind: now), lease_owner = NULL, lease_expires_at = NULL
                    WHERE job_id = \(bind: job.jobID) AND status = 'running' AND lease_expires_at < \(bind: now)
                    """).run()
                failed += 1
            }
        }
        return (requeued, failed)
    }

    /// Cancels a queued job at once, or asks the worker of a running one to stop. Returns the job after.
    public func cancel(_ id: String, at now: Date) async throws -> JobRecord? {
        try await sql.raw("""
            UPDATE jobs SET status = 'cancelled', finished_at = \(bind: now), error = 'cancelled before it started'
            WHERE job_id = \(bind: id) AND status = 'queued'
            """).run()
        try await sql.raw("UPDATE jobs SET cancel_requested = \(bind: true) WHERE job_id = \(bind: id) AND status = 'running'").run()
        return try await find(id)
    }

    /// The latest job of a kind that is queued or running (periodic duties keep exactly one in flight).
    public func pending(kind: String) async throws -> JobRecord? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE kind = \(bind: kind) AND status IN ('queued', 'running')
            ORDER BY created_at DESC LIMIT 1
            """).first().map(Self.record)
    }

    public func lastFinished(kind: String) async throws -> JobRecord? {
        try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns) FROM jobs WHERE kind = \(bind: kind) AND finished_at IS NOT NULL
            ORDER BY finished_at DESC LIMIT 1
            """).first().map(Self.record)
    }

    static func record(_ row: any SQLRow) throws -> JobRecord {
        let status = try row.decode(column: "status", as: String.self)
        guard let parsed = JobStatus(rawValue: status) else { throw StoreError.corrupt("job status '\(status)'") }
        return JobRecord(jobID: try row.decode(column: "job_id", as: String.self), kind: try row.decode(column: "kind", as: String.self),
                         payload: try row.decode(column: "payload", as: String.self), status: parsed,
                         progress: try row.decode(column: "progress", as: Double.self),
                         progressMessage: try row.decode(column: "progress_message", as: String?.self),
                         attempts: try row.decode(column: "attempts", as: Int.self), maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
                         runAfter: try row.decode(column: "run_after", as: Date.self), leaseOwner: try row.decode(column: "lease_owner", as: String?.self),
                         leaseExpiresAt: try row.decode(column: "lease_expires_at", as: Date?.self),
                         heartbeatAt: try row.decode(column: "heartbeat_at", as: Date?.self),
                         cancelRequested: try row.decode(column: "cancel_requested", as: Bool.self),
                         result: try row.decode(column: "result", as: String?.self), error: try row.decode(column: "error", as: String?.self),
                         idempotencyKey: try row.decode(column: "idempotency_key", as: String?.self),
                         createdAt: try row.decode(column: "created_at", as: Date.self), startedAt: try row.decode(column: "started_at", as: Date?.self),
                         finishedAt: try row.decode(column: "finished_at", as: Date?.self),
                         createdBy: try row.decode(column: "created_by", as: String?.self))
    }
}

extension Session {
    public var jobs: JobRepository { JobRepository(database: database) }
}
