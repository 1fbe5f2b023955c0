import FluentKit
import SQLKit

/// PostgreSQL: the sequence every process bumps after a committed write and polls to expire its cached reads
/// (`WriteGeneration`). SQLite is one process's file: its counter lives in memory.
struct M018_CreateWriteGeneration: AsyncMigration {
    func prepare(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("CREATE SEQUENCE IF NOT EXISTS \(unsafeRaw: WriteGeneration.sequence)").run()
    }

    func revert(on database: any Database) async throws {
        guard let sql = database as? any SQLDatabase, sql.dialect.name == "postgresql" else { return }
        try await sql.raw("DROP SEQUENCE IF EXISTS \(unsafeRaw: WriteGeneration.sequence)").run()
    }
}
