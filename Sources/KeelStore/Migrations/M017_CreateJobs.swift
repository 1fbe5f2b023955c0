import FluentKit
import SQLKit

/// Durable background work: one row per job, claimed by a worker under a lease renewed by heartbeat.
struct M017_CreateJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("jobs")
            .field("job_id", .string, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("progress", .double, .required)
            .field("progress_message", .string)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("run_after", .datetime, .required)
            .field("lease_owner", .string)
            .field("lease_expires_at", .datetime)
            .field("heartbeat_at", .datetime)
            .field("cancel_requested", .bool, .required)
            .field("result", .string)
            .field("error", .string)
            .field("idempotency_key", .string)
            .field("created_at", .datetime, .required)
            .field("started_at", .datetime)
            .field("finished_at", .datetime)
            .unique(on: "idempotency_key", name: "uq_jobs_idempotency_key")
            .create()
        try await database.createIndex("idx_jobs_claim", on: "jobs", columns: ["status", "run_after"])
        try await database.createIndex("idx_jobs_kind", on: "jobs", columns: ["kind", "status"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jobs").delete()
    }
}
