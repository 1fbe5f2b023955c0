import Foundation
import SQLiteNIO
import KeelCore

/// Ledger decimals in SQLite. They are written as decimal text into NUMERIC columns; SQLite keeps them as
/// numbers with 15 significant digits, which covers every ledger value Keel writes (cents on cash, at most
/// eight decimals on quantities, amounts below 10^7 at full precision). Read back through the shortest
/// decimal text, so 0.1 stays exactly 0.1. PostgreSQL stores them as exact NUMERIC natively.
extension Decimal: @retroactive SQLiteDataConvertible {
    public init?(sqliteData: SQLiteData) {
        switch sqliteData {
        case .integer(let value): self = Decimal(value)
        case .float(let value): self = Decimal(exactly: value)
        case .text(let text):
            guard let value = Decimal(string: text) else { return nil }
            self = value
        case .blob, .null: return nil
        }
    }

    public var sqliteData: SQLiteData? { .text(self.description) }
}
