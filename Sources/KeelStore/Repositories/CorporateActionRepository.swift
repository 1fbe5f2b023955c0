import FluentKit
import Foundation
import KeelCore
import SQLKit

/// A recorded corporate action and what applying it did.
public struct CorporateActionRecord: Sendable, Hashable {
    public var actionID: String
    public var split: StockSplit
    public var recordedBy: String
    public var recordedAt: Date
    public var appliedAt: Date?
    public var accountsAdjusted: Int?
    public var batchesExpired: Int?
    /// When the cash-in-lieu price was fixed (the price itself is the split's; nil here: not yet).
    public var pricedAt: Date?
}

/// Corporate actions (splits) as SQL rows: recorded once per symbol, kind and ex-date, claimed once when applied.
public struct CorporateActionRepository: Sendable {
    let database: any Database

    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let kindSplit = "split"
    static let columns = ["action_id", "symbol", "kind", "ex_date", "new_shares", "old_shares", "recorded_by", "recorded_at", "applied_at",
                          "accounts_adjusted", "batches_expired", "cash_in_lieu_price", "priced_at"]

    /// Records a split; false when one of the symbol on that ex-date is already recorded (the unique key decides
    /// between concurrent recorders).
    public func insert(actionID: String, split: StockSplit, recordedBy: String, at now: Date) async throws -> Bool {
        try await sql.insert(into: "corporate_actions")
            .columns(["action_id", "symbol", "kind", "ex_date", "new_shares", "old_shares", "recorded_by", "recorded_at"])
            .values([SQLBind(actionID), SQLBind(split.symbol), SQLBind(Self.kindSplit), SQLBind(split.exDate.description), SQLBind(split.newShares),
                     SQLBind(split.oldShares), SQLBind(recordedBy), SQLBind(now)])
            .ignoringConflicts(with: ["symbol", "kind", "ex_date"])
            .returning("action_id").first() != nil
    }

    public func find(symbol: String, exDate: CivilDay) async throws -> CorporateActionRecord? {
        try await select().where("symbol", .equal, symbol).where("ex_date", .equal, exDate.description).first().map(Self.record)
    }

    /// The newest first (by ex-date), optionally of one symbol.
    public func list(symbol: String?, limit: Int) async throws -> [CorporateActionRecord] {
        var query = select()
        if let symbol { query = query.where("symbol", .equal, symbol) }
        return try await query.orderBy("ex_date", .descending).orderBy("symbol").limit(limit).all().map(Self.record)
    }

    /// Splits not yet applied whose ex-date is `day` or earlier, oldest first.
    public func due(onOrBefore day: CivilDay) async throws -> [CorporateActionRecord] {
        try await select().where(SQLColumn("applied_at"), .is, SQLLiteral.null).where("ex_date", .lessThanOrEqual, day.description)
            .orderBy("ex_date").orderBy("symbol").all().map(Self.record)
    }

    /// Every split whose ex-date is `day` or earlier, applied to Keel's books or not (what a broker's books follow).
    public func effective(onOrBefore day: CivilDay) async throws -> [CorporateActionRecord] {
        try await select().where("ex_date", .lessThanOrEqual, day.description).orderBy("ex_date").orderBy("symbol").all().map(Self.record)
    }

    /// Splits in effect by `day` whose cash-in-lieu price is not fixed yet, oldest first.
    public func unpriced(onOrBefore day: CivilDay) async throws -> [CorporateActionRecord] {
        try await select().where(SQLColumn("priced_at"), .is, SQLLiteral.null).where("ex_date", .lessThanOrEqual, day.description)
            .orderBy("ex_date").orderBy("symbol").all().map(Self.record)
    }

    /// Fixes the cash-in-lieu price (nil: fractions are kept) in one conditional UPDATE; a no-op when another
    /// transaction fixed it first, whose price then stands.
    public func fixCashInLieuPrice(actionID: String, price: Decimal?, at now: Date) async throws {
        try await sql.update("corporate_actions").set("cash_in_lieu_price", to: price.map { SQLBind($0) as any SQLExpression } ?? SQLLiteral.null)
            .set("priced_at", to: now).where("action_id", .equal, actionID).where(SQLColumn("priced_at"), .is, SQLLiteral.null).run()
    }

    public func find(actionID: String) async throws -> CorporateActionRecord? {
        try await select().where("action_id", .equal, actionID).first().map(Self.record)
    }

    /// Marks the action applied, in one conditional UPDATE; false when another transaction applied it first (on
    /// PostgreSQL the row lock makes the second wait and then find it applied).
    public func claim(actionID: String, at now: Date) async throws -> Bool {
        try await sql.update("corporate_actions").set("applied_at", to: now).where("action_id", .equal, actionID)
            .where(SQLColumn("applied_at"), .is, SQLLiteral.null).returning("action_id").first() != nil
    }

    public func recordOutcome(actionID: String, accountsAdjusted: Int, batchesExpired: Int) async throws {
        try await sql.update("corporate_actions").set("accounts_adjusted", to: accountsAdjusted).set("batches_expired", to: batchesExpired)
            .where("action_id", .equal, actionID).run()
    }

    /// Accounts whose positions or lots hold `symbol`.
    public func accountsHolding(_ symbol: String) async throws -> [String] {
        try await sql.raw("""
            SELECT account_hash FROM positions WHERE symbol = \(bind: symbol)
            UNION SELECT account_hash FROM tax_lots WHERE symbol = \(bind: symbol) ORDER BY account_hash
            """).all().map { try $0.decode(column: "account_hash", as: String.self) }
    }

    private func select() -> SQLSelectBuilder {
        sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("corporate_actions").where("kind", .equal, Self.kindSplit)
    }

    static func record(_ row: any SQLRow) throws -> CorporateActionRecord {
        let text = try row.decode(column: "ex_date", as: String.self)
        guard let day = DateText.day(text) else { throw StoreError.corrupt("ex_date \(text) is not a day") }
        return CorporateActionRecord(
            actionID: try row.decode(column: "action_id", as: String.self),
            split: StockSplit(symbol: try row.decode(column: "symbol", as: String.self), newShares: try row.decode(column: "new_shares", as: Int.self),
                              oldShares: try row.decode(column: "old_shares", as: Int.self), exDate: day,
                              cashInLieuPrice: try row.decode(column: "cash_in_lieu_price", as: Decimal?.self)),
            recordedBy: try row.decode(column: "recorded_by", as: String.self), recordedAt: try row.decode(column: "recorded_at", as: Date.self),
            appliedAt: try row.decode(column: "applied_at", as: Date?.self), accountsAdjusted: try row.decode(column: "accounts_adjusted", as: Int?.self),
            batchesExpired: try row.decode(column: "batches_expired", as: Int?.self), pricedAt: try row.decode(column: "priced_at", as: Date?.self))
    }
}

extension Session {
    public var corporateActions: CorporateActionRepository { CorporateActionRepository(database: database) }
}
