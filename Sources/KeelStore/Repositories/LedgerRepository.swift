import FluentKit
import SQLKit
import Foundation
import KeelCore

/// Keel's own books: positions, fills and round-trip trades of each account.
public struct LedgerRepository: Sendable {
    let database: any Database

    /// Plain SQL rows decoded into the record (read on every plan, order and valuation; no model reflection).
    public func positions(accountHash: String) async throws -> [PositionRecord] {
        try await (database as! any SQLDatabase).select().columns(Self.positionColumns.map { SQLIdentifier($0) }).from("positions")
            .where("account_hash", .equal, accountHash).orderBy("symbol").all().map(Self.position)
    }

    /// The positions of several accounts in one query, by account.
    public func positions(accountHashes: [String]) async throws -> [String: [PositionRecord]] {
        guard !accountHashes.isEmpty else { return [:] }
        let all = try await (database as! any SQLDatabase).select().columns(Self.positionColumns.map { SQLIdentifier($0) }).from("positions")
            .where("account_hash", .in, accountHashes).orderBy("symbol").all().map(Self.position)
        return Dictionary(grouping: all, by: \.accountHash)
    }

    static let positionColumns = ["account_hash", "client_id", "user_id", "symbol", "quantity", "average_cost", "opened_at", "updated_at"]

    static func position(_ row: any SQLRow) throws -> PositionRecord {
        PositionRecord(accountHash: try row.decode(column: "account_hash", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
                       userID: try row.decode(column: "user_id", as: String?.self), symbol: try row.decode(column: "symbol", as: String.self),
                       quantity: try row.decode(column: "quantity", as: Decimal.self), averageCost: try row.decode(column: "average_cost", as: Decimal.self),
                       openedAt: try row.decode(column: "opened_at", as: Date.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    public func position(accountHash: String, symbol: String) async throws -> PositionRecord? {
        try await (database as! any SQLDatabase).select().columns(Self.positionColumns.map { SQLIdentifier($0) }).from("positions")
            .where("account_hash", .equal, accountHash).where("symbol", .equal, symbol).first().map(Self.position)
    }

    /// Writes the position in one statement, an upsert on (account, symbol); a zero quantity removes it. Runs for
    /// every fill.
    public func savePosition(_ position: PositionRecord) async throws {
        try await savePositions([position])
    }

    /// Writes many positions: one multi-row upsert on (account, symbol) per 200 held, one DELETE for those at zero.
    public func savePositions(_ positions: [PositionRecord]) async throws {
        let sql = database as! any SQLDatabase
        let closed = positions.filter { $0.quantity == 0 }, held = positions.filter { $0.quantity != 0 }
        for start in stride(from: 0, to: closed.count, by: 500) {
            try await sql.raw("""
                DELETE FROM positions WHERE \(SQLList(closed[start..<min(start + 500, closed.count)].map { position in
                    SQLGroupExpression(SQLBinaryExpression(SQLBinaryExpression(SQLIdentifier("account_hash"), .equal, SQLBind(position.accountHash)),
                                                           .and, SQLBinaryExpression(SQLIdentifier("symbol"), .equal, SQLBind(position.symbol))))
                }, separator: SQLRaw(" OR ")))
                """).run()
        }
        try await sql.insertRows(into: "positions", columns: Self.positionColumns, held, upsertOn: ["account_hash", "symbol"],
                                 updating: ["client_id", "user_id", "quantity", "average_cost", "opened_at", "updated_at"]) { position in
            [SQLBind(position.accountHash), SQLBind(position.clientID), SQLBind(position.userID), SQLBind(position.symbol),
             SQLBind(position.quantity), SQLBind(position.averageCost), SQLBind(position.openedAt), SQLBind(position.updatedAt)]
        }
    }

    static let fillColumns = ["fill_id", "order_id", "account_hash", "symbol", "side", "quantity", "price", "commission", "filled_at", "recorded_at"]

    public func insertFill(_ fill: FillRecord) async throws {
        try await insertFills([fill])
    }

    /// Inserts fills with one multi-row INSERT per 200.
    public func insertFills(_ fills: [FillRecord]) async throws {
        try await (database as! any SQLDatabase).insertRows(into: "fills", columns: Self.fillColumns, fills) { fill in
            [SQLBind(fill.fillID), SQLBind(fill.orderID), SQLBind(fill.accountHash), SQLBind(fill.symbol), SQLBind(fill.side.rawValue),
             SQLBind(fill.quantity), SQLBind(fill.price), SQLBind(fill.commission), SQLBind(fill.filledAt), SQLBind(fill.recordedAt)]
        }
    }

    public func fillExists(_ fillID: String) async throws -> Bool {
        !(try await existingFillIDs([fillID]).isEmpty)
    }

    /// Which of `fillIDs` are already posted (a fill is posted once, however often its order is looked up).
    public func existingFillIDs(_ fillIDs: [String]) async throws -> Set<String> {
        guard !fillIDs.isEmpty else { return [] }
        let rows = try await (database as! any SQLDatabase).select().column("fill_id").from("fills").where("fill_id", .in, fillIDs).all()
        return Set(try rows.map { try $0.decode(column: "fill_id", as: String.self) })
    }

    public func fills(orderID: String) async throws -> [FillRecord] {
        try await fills(where: "order_id", equals: orderID)
    }

    public func fills(accountHash: String) async throws -> [FillRecord] {
        try await fills(where: "account_hash", equals: accountHash)
    }

    private func fills(where column: String, equals value: String) async throws -> [FillRecord] {
        try await (database as! any SQLDatabase).select().columns(Self.fillColumns.map { SQLIdentifier($0) }).from("fills")
            .where(SQLIdentifier(column), .equal, SQLBind(value)).orderBy("filled_at").orderBy("fill_id").all().map(Self.fill)
    }

    static func fill(_ row: any SQLRow) throws -> FillRecord {
        let sideName = try row.decode(column: "side", as: String.self)
        guard let side = OrderSide(rawValue: sideName) else { throw StoreError.corrupt("fill side '\(sideName)'") }
        return FillRecord(fillID: try row.decode(column: "fill_id", as: String.self), orderID: try row.decode(column: "order_id", as: String.self),
                          accountHash: try row.decode(column: "account_hash", as: String.self), symbol: try row.decode(column: "symbol", as: String.self),
                          side: side, quantity: try row.decode(column: "quantity", as: Decimal.self), price: try row.decode(column: "price", as: Decimal.self),
                          commission: try row.decode(column: "commission", as: Decimal.self), filledAt: try row.decode(column: "filled_at", as: Date.self),
                          recordedAt: try row.decode(column: "recorded_at", as: Date.self))
    }

    /// Open trades of a symbol in an account, oldest first (the order sells close them in).
    public func openTrades(accountHash: String, symbol: String) async throws -> [TradeRecord] {
        try await openTrades(accountHashes: [accountHash], symbols: [symbol])[accountHash] ?? []
    }

    /// The open trades of many accounts in the given symbols, oldest first, by account (one query).
    public func openTrades(accountHashes: [String], symbols: [String]) async throws -> [String: [TradeRecord]] {
        guard !accountHashes.isEmpty, !symbols.isEmpty else { return [:] }
        let rows = try await (database as! any SQLDatabase).select().columns(Self.tradeColumns.map { SQLIdentifier($0) }).from("trades")
            .where("account_hash", .in, accountHashes).where("symbol", .in, Array(Set(symbols)).sorted())
            .where("status", .equal, TradeStatus.open.rawValue).orderBy("entry_time").orderBy("trade_id").all()
        return Dictionary(grouping: try rows.map(Self.trade), by: { $0.accountHash ?? "" })
    }

    static let tradeColumns = ["trade_id", "user_id", "strategy_id", "client_id", "account_hash", "symbol", "side", "quantity", "entry_price",
                               "exit_price", "profit_loss", "fees", "status", "entry_time", "exit_time", "entry_order_id", "exit_order_id"]

    static func trade(_ row: any SQLRow) throws -> TradeRecord {
        let statusName = try row.decode(column: "status", as: String.self)
        guard let status = TradeStatus(rawValue: statusName) else { throw StoreError.corrupt("trade status '\(statusName)'") }
        return TradeRecord(
            tradeID: try row.decode(column: "trade_id", as: String.self), userID: try row.decode(column: "user_id", as: String.self),
            strategyID: try row.decode(column: "strategy_id", as: String?.self), clientID: try row.decode(column: "client_id", as: Int?.self),
            accountHash: try row.decode(column: "account_hash", as: String?.self), symbol: try row.decode(column: "symbol", as: String.self),
            side: try row.decode(column: "side", as: String.self), quantity: try row.decode(column: "quantity", as: Decimal.self),
            entryPrice: try row.decode(column: "entry_price", as: Decimal.self), exitPrice: try row.decode(column: "exit_price", as: Decimal?.self),
            profitLoss: try row.decode(column: "profit_loss", as: Decimal?.self), fees: try row.decode(column: "fees", as: Decimal.self), status: status,
            entryTime: try row.decode(column: "entry_time", as: Date.self), exitTime: try row.decode(column: "exit_time", as: Date?.self),
            entryOrderID: try row.decode(column: "entry_order_id", as: String?.self), exitOrderID: try row.decode(column: "exit_order_id", as: String?.self))
    }

    public func trades(accountHash: String) async throws -> [TradeRecord] {
        try await (database as! any SQLDatabase).select().columns(Self.tradeColumns.map { SQLIdentifier($0) }).from("trades")
            .where("account_hash", .equal, accountHash).orderBy("entry_time").orderBy("trade_id").all().map(Self.trade)
    }

    /// A user's trades (every account and strategy), oldest first.
    public func trades(userID: String, status: TradeStatus? = nil, strategyID: String? = nil, enteredSince: Date? = nil,
                       limit: Int = 10_000) async throws -> [TradeRecord] {
        var query = (database as! any SQLDatabase).select().columns(Self.tradeColumns.map { SQLIdentifier($0) }).from("trades")
            .where("user_id", .equal, userID)
        if let status { query = query.where("status", .equal, status.rawValue) }
        if let strategyID { query = query.where("strategy_id", .equal, strategyID) }
        if let enteredSince { query = query.where("entry_time", .greaterThanOrEqual, enteredSince) }
        return try await query.orderBy("entry_time").orderBy("trade_id").limit(limit).all().map(Self.trade)
    }

    public func trade(_ tradeID: String) async throws -> TradeRecord? {
        try await (database as! any SQLDatabase).select().columns(Self.tradeColumns.map { SQLIdentifier($0) }).from("trades")
            .where("trade_id", .equal, tradeID).first().map(Self.trade)
    }

    public func saveTrade(_ trade: TradeRecord) async throws {
        try await saveTrades([trade])
    }

    /// Inserts new trades and rewrites existing ones (by id): one multi-row upsert per 200.
    public func saveTrades(_ trades: [TradeRecord]) async throws {
        try await (database as! any SQLDatabase).insertRows(into: "trades", columns: Self.tradeColumns, trades, upsertOn: ["trade_id"],
                                                            updating: Array(Self.tradeColumns.dropFirst())) { trade in
            [SQLBind(trade.tradeID), SQLBind(trade.userID), SQLBind(trade.strategyID), SQLBind(trade.clientID), SQLBind(trade.accountHash),
             SQLBind(trade.symbol), SQLBind(trade.side), SQLBind(trade.quantity), SQLBind(trade.entryPrice), SQLBind(trade.exitPrice),
             SQLBind(trade.profitLoss), SQLBind(trade.fees), SQLBind(trade.status.rawValue), SQLBind(trade.entryTime), SQLBind(trade.exitTime),
             SQLBind(trade.entryOrderID), SQLBind(trade.exitOrderID)]
        }
    }
}

extension Session {
    public var ledger: LedgerRepository { LedgerRepository(database: database) }
}
