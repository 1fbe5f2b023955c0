import FluentKit

/// Corporate actions an administrator records (splits for now): one per symbol, kind and ex-date, applied to Keel's
/// books once, at or after the ex-date (`applied_at` set in the transaction that applied it).
struct M033_CorporateActions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("corporate_actions")
            .field("action_id", .string, .identifier(auto: false))
            .field("symbol", .string, .required)
            .field("kind", .string, .required)
            .field("ex_date", .string, .required)
            .field("new_shares", .int, .required)
            .field("old_shares", .int, .required)
            .field("recorded_by", .string, .required)
            .field("recorded_at", .datetime, .required)
            .field("applied_at", .datetime)
            .field("accounts_adjusted", .int)
            .field("batches_expired", .int)
            .unique(on: "symbol", "kind", "ex_date", name: "uq_corporate_actions_symbol_kind_day")
            .create()
        try await database.createIndex("ix_corporate_actions_due", on: "corporate_actions", columns: ["applied_at", "ex_date"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("corporate_actions").delete()
    }
}
