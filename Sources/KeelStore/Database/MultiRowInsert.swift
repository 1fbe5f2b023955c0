import SQLKit

extension SQLDatabase {
    /// Inserts `rows` with one multi-row INSERT per `perStatement` rows (so no statement passes either database's
    /// bound-parameter limit). With `upsertOn`, a row whose key exists has the `updating` columns replaced instead.
    func insertRows<Row>(into table: String, columns: [String], _ rows: [Row], perStatement: Int = 200,
                         upsertOn key: [String]? = nil, updating: [String] = [], values: (Row) -> [any SQLExpression]) async throws {
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            var insert = self.insert(into: table).columns(columns)
            for row in rows[start..<min(start + perStatement, rows.count)] { insert = insert.values(values(row)) }
            if let key {
                insert = insert.onConflict(with: key) { conflict in updating.reduce(conflict) { $0.set(excludedValueOf: $1) } }
            }
            try await insert.run()
        }
    }
}
