import FluentKit

/// Who started a job (nil: the system — periodic duties, the cycle's own jobs), so cancelling can be limited to
/// the job's starter and admins.
struct M023_JobCreator: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("jobs").field("created_by", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("jobs").deleteField("created_by").update()
    }
}
