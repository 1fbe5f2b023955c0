import FluentKit
import SQLKit

/// Per account at most one open batch (a unique partial index, on both databases) and a halt flag that
/// reconciliation sets when Keel's books differ from the broker's.
struct M014_SerialiseAccountTrading: AsyncMigration {
    static let openStatuses = ["pending_approval", "approved", "executing", "needs_reconciliation"]

    func prepare(on database: any Database) async throws {
        try await database.schema("brokerage_accounts").field("halted_reason", .string).update()
        try await database.schema("brokerage_accounts").field("halted_at", .datetime).update()

        let sql = database as! any SQLDatabase
        // Older open batches that the race left behind: keep the newest waiting one per account, reject the rest.
        let rows = try await sql.raw("""
            SELECT batch_id, account_hash, status FROM trade_batches
            WHERE status IN ('pending_approval', 'approved', 'executing', 'needs_reconciliation')
            ORDER BY account_hash, created_at DESC, batch_id
            """).all()
        var seen = Set<String>()
        for row in rows {
            let batchID = try row.decode(column: "batch_id", as: String.self)
            let account = try row.decode(column: "account_hash", as: String.self)
            let status = try row.decode(column: "status", as: String.self)
            if seen.insert(account).inserted { continue }
            guard status == "pending_approval" || status == "approved" else { continue }
            try await sql.update("trade_batches").set("status", to: "rejected").set("rejected_by", to: "system")
                .set("rejection_reason", to: "superseded: one open batch per account (migration M014)")
                .where("batch_id", .equal, batchID).run()
        }
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_trade_batches_one_open_per_account ON trade_batches (account_hash)
            WHERE status IN ('pending_approval', 'approved', 'executing', 'needs_reconciliation')
            """).run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX uq_trade_batches_one_open_per_account").run()
        try await database.schema("brokerage_accounts").deleteField("halted_at").update()
        try await database.schema("brokerage_accounts").deleteField("halted_reason").update()
    }
}
