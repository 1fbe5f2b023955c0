import Foundation
import KeelServices
@_spi(RawSQL) import KeelStore
import SQLKit

/// Statements the server executed for this database, from `pg_stat_statements` (the server must preload it:
/// `shared_preload_libraries = 'pg_stat_statements'`). The benchmark's own queries (its polls, these readings)
/// are left out by their text.
struct StatementCounter {
    let database: KeelDatabase

    /// The counter, or why there is none.
    static func make(_ database: KeelDatabase) async -> (counter: StatementCounter?, unavailable: String?) {
        do {
            try await database.write { try await $0.sql.raw("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").run() }
            _ = try await database.read { try await $0.sql.raw("SELECT COUNT(*) AS n FROM pg_stat_statements").first() }
            return (StatementCounter(database: database), nil)
        } catch {
            return (nil, "pg_stat_statements is not loaded by the server (set shared_preload_libraries = 'pg_stat_statements' and restart): \(error)")
        }
    }

    func reset() async throws {
        _ = try await database.read { try await $0.sql.raw("SELECT pg_stat_statements_reset()").all() }
    }

    static let own = "query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%AS bench_poll%'"

    func total() async throws -> Int {
        try await database.read { session in
            try await session.sql.raw("""
                SELECT COALESCE(SUM(calls), 0)::bigint AS n FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND \(unsafeRaw: Self.own)
                """).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// The most frequent statements, for the profile.
    func top(_ count: Int) async throws -> [(calls: Int, query: String)] {
        try await database.read { session in
            try await session.sql.raw("""
                SELECT calls::bigint AS calls, LEFT(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND \(unsafeRaw: Self.own)
                ORDER BY calls DESC LIMIT \(bind: count)
                """).all().map { (try $0.decode(column: "calls", as: Int.self), try $0.decode(column: "query", as: String.self)) }
        }
    }
}
