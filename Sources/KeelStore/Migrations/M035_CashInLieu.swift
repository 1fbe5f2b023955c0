import FluentKit

/// The price at which a split pays a fraction of a share in cash (per new share), and when it was fixed: once, when the
/// split first takes effect, so Keel's ledger and the paper broker's books pay the same. A fixed time with no price:
/// the fractions are kept (a symbol that trades in fractions, or no close before the ex-date to price them by).
struct M035_CashInLieu: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        try await database.schema("corporate_actions").field("cash_in_lieu_price", .ledgerDecimal).update()
        try await database.schema("corporate_actions").field("priced_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("corporate_actions").deleteField("priced_at").update()
        try await database.schema("corporate_actions").deleteField("cash_in_lieu_price").update()
    }
}
