import FluentKit
import Foundation
import SQLKit

/// `market_regimes`: the classified regime of each stored day of a symbol.
public struct RegimeRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Stores days (replacing a day computed before, e.g. after a backfill corrected its bars).
    public func store(_ days: [StoredRegimeDay]) async throws {
        for start in stride(from: 0, to: days.count, by: 200) {
            var insert = sql.insert(into: "market_regimes").columns("symbol", "day", "regime", "indicated", "confidence", "inputs", "computed_at")
            for day in days[start..<min(start + 200, days.count)] {
                insert = insert.values(SQLBind(day.symbol), SQLBind(day.day), SQLBind(day.regime), SQLBind(day.indicated), SQLBind(day.confidence),
                                       SQLBind(day.inputs), SQLBind(day.computedAt))
            }
            try await insert.onConflict(with: ["symbol", "day"]) { conflict in
                conflict.set(excludedValueOf: "regime").set(excludedValueOf: "indicated").set(excludedValueOf: "confidence")
                    .set(excludedValueOf: "inputs").set(excludedValueOf: "computed_at")
            }.run()
        }
    }

    public func latest(symbol: String) async throws -> StoredRegimeDay? {
        try await sql.select().column("*").from("market_regimes").where("symbol", .equal, symbol).orderBy("day", .descending).first().map(Self.day)
    }

    public func count(symbol: String) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("market_regimes").where("symbol", .equal, symbol)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func day(_ row: any SQLRow) throws -> StoredRegimeDay {
        StoredRegimeDay(symbol: try row.decode(column: "symbol", as: String.self), day: try row.decode(column: "day", as: String.self),
                        regime: try row.decode(column: "regime", as: String.self), indicated: try row.decode(column: "indicated", as: String.self),
                        confidence: try row.decode(column: "confidence", as: Double.self), inputs: try row.decode(column: "inputs", as: String.self),
                        computedAt: try row.decode(column: "computed_at", as: Date.self))
    }
}

extension Session {
    public var regimes: RegimeRepository { RegimeRepository(database: database) }
}
