import FluentKit
import SQLKit

/// A batch whose orders all reached the broker and some wait there to fill is `working`, no longer
/// `needs_reconciliation` (which now means an order's fate is unknown). It is open like the others: the index that
/// keeps one open batch per account covers it.
struct M029_WorkingBatches: AsyncMigration {
    static let openBefore = ["pending_approval", "approved", "executing", "needs_reconciliation"]
    static let open = ["pending_approval", "approved", "executing", "working", "needs_reconciliation"]

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("DROP INDEX uq_trade_batches_one_open_per_account").run()
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_trade_batches_one_open_per_account ON trade_batches (account_hash) WHERE status IN (\(unsafeRaw: Self.list(Self.open)))
            """).run()
        // Batches left waiting only on working orders (none unknown or in flight) take the new name.
        try await sql.raw("""
            UPDATE trade_batches SET status = 'working' WHERE status = 'needs_reconciliation'
              AND EXISTS (SELECT 1 FROM batch_orders o WHERE o.batch_id = trade_batches.batch_id AND o.status = 'working')
              AND NOT EXISTS (SELECT 1 FROM batch_orders o WHERE o.batch_id = trade_batches.batch_id AND o.status IN ('unknown', 'submitting'))
            """).run()
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("UPDATE trade_batches SET status = 'needs_reconciliation' WHERE status = 'working'").run()
        try await sql.raw("DROP INDEX uq_trade_batches_one_open_per_account").run()
        try await sql.raw("""
            CREATE UNIQUE INDEX uq_trade_batches_one_open_per_account ON trade_batches (account_hash) WHERE status IN (\(unsafeRaw: Self.list(Self.openBefore)))
            """).run()
    }

    /// Fixed status names as SQL literals (an index predicate takes no parameters).
    static func list(_ statuses: [String]) -> String { statuses.map { "'\($0)'" }.joined(separator: ", ") }
}
