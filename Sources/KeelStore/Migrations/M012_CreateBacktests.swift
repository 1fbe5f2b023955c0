import FluentKit

/// Backtest jobs: the request, the outcome (JSON) and the HTML report.
struct M012_CreateBacktests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("backtests")
            .field("backtest_id", .string, .identifier(auto: false))
            .field("status", .string, .required)
            .field("request", .string, .required)
            .field("result", .string)
            .field("report", .string)
            .field("error", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("backtests").delete()
    }
}
