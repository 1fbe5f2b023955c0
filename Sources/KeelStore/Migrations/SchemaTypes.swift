import FluentKit
import SQLKit

extension DatabaseSchema.DataType {
    /// Exact ledger numbers: NUMERIC on both databases (PostgreSQL exact; SQLite numeric affinity).
    static let ledgerDecimal: Self = .custom("NUMERIC(28,10)")
}

extension Database {
    /// Creates a plain (non-unique) index; Fluent's schema builder has none, SQLKit does on both dialects.
    func createIndex(_ name: String, on table: String, columns: [String]) async throws {
        var builder = (self as! any SQLDatabase).create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }
}
