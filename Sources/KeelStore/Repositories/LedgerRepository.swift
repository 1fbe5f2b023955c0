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
        let sql = database as! any SQLDatabase
        if position.quantity == 0 {
            try await sql.delete(from: "positions").where("account_hash", .equal, position.accountHash).where("symbol", .equal, position.symbol).run()
            return
        }
        try await sql.insert(into: "positions").columns(Self.positionColumns)
            .values(SQLBind(position.accountHash), SQLBind(position.clientID), SQLBind(position.userID), SQLBind(position.symbol),
                    SQLBind(position.quantity), SQLBind(position.averageCost), SQLBind(position.openedAt), SQLBind(position.updatedAt))
            .onConflict(with: ["account_hash", "symbol"]) { conflict in
                conflict.set(excludedValueOf: "client_id").set(excludedValueOf: "user_id").set(excludedValueOf: "quantity")
                    .set(excludedValueOf: "average_cost").set(excludedValueOf: "opened_at").set(excludedValueOf: "updated_at")
            }
            .run()
    }

    public func insertFill(_ fill: FillRecord) async throws {
        let model = FillModel()
        model.id = fill.fillID
        model.orderID = fill.orderID
        model.accountHash = fill.accountHash
        model.symbol = fill.symbol
        model.side = fill.side.rawValue
        model.quantity = fill.quantity
        model.price = fill.price
        model.commission = fill.commission
        model.filledAt = fill.filledAt
        model.recordedAt = fill.recordedAt
        try await model.create(on: database)
    }

    public func fillExists(_ fillID: String) async throws -> Bool {
        try await FillModel.find(fillID, on: database) != nil
    }

    public func fills(orderID: String) async throws -> [FillRecord] {
        try await FillModel.query(on: database).filter(\.$orderID == orderID).sort(\.$filledAt).all().map(Self.record)
    }

    public func fills(accountHash: String) async throws -> [FillRecord] {
        try await FillModel.query(on: database).filter(\.$accountHash == accountHash).sort(\.$filledAt).all().map(Self.record)
    }

    /// Open trades of a symbol in an account, oldest first (the order sells close them in).
    public func openTrades(accountHash: String, symbol: String) async throws -> [TradeRecord] {
        try await TradeModel.query(on: database).filter(\.$accountHash == accountHash).filter(\.$symbol == symbol)
            .filter(\.$status == TradeStatus.open.rawValue).sort(\.$entryTime).sort(\.$id).all().map(Self.record)
    }

    public func trades(accountHash: String) async throws -> [TradeRecord] {
        try await TradeModel.query(on: database).filter(\.$accountHash == accountHash).sort(\.$entryTime).sort(\.$id).all().map(Self.record)
    }

    /// A user's trades (every account and strategy), oldest first.
    public func trades(userID: String, status: TradeStatus? = nil, strategyID: String? = nil, enteredSince: Date? = nil,
                       limit: Int = 10_000) async throws -> [TradeRecord] {
        var query = TradeModel.query(on: database).filter(\.$userID == userID)
        if let status { query = query.filter(\.$status == status.rawValue) }
        if let strategyID { query = query.filter(\.$strategyID == strategyID) }
        if let enteredSince { query = query.filter(\.$entryTime >= enteredSince) }
        return try await query.sort(\.$entryTime).sort(\.$id).limit(limit).all().map(Self.record)
    }

    public func trade(_ tradeID: String) async throws -> TradeRecord? {
        try await TradeModel.find(tradeID, on: database).map(Self.record)
    }

    public func saveTrade(_ trade: TradeRecord) async throws {
        let existing = try await TradeModel.find(trade.tradeID, on: database)
        let model = existing ?? TradeModel()
        model.id = trade.tradeID
        model.userID = trade.userID
        model.strategyID = trade.strategyID
        model.clientID = trade.clientID
        model.accountHash = trade.accountHash
        model.symbol = trade.symbol
        model.side = trade.side
        model.quantity = trade.quantity
        model.entryPrice = trade.entryPrice
        model.exitPrice = trade.exitPrice
        model.profitLoss = trade.profitLoss
        model.fees = trade.fees
        model.status = trade.status.rawValue
        model.entryTime = trade.entryTime
        model.exitTime = trade.exitTime
        model.entryOrderID = trade.entryOrderID
        model.exitOrderID = trade.exitOrderID
        if existing == nil { try await model.create(on: database) } else { try await model.update(on: database) }
    }

    static func record(_ model: FillModel) throws -> FillRecord {
        guard let side = OrderSide(rawValue: model.side) else { throw StoreError.corrupt("fill side '\(model.side)'") }
        return FillRecord(fillID: model.id ?? "", orderID: model.orderID, accountHash: model.accountHash, symbol: model.symbol, side: side,
                          quantity: model.quantity, price: model.price, commission: model.commission, filledAt: model.filledAt,
                          recordedAt: model.recordedAt)
    }

    static func record(_ model: TradeModel) throws -> TradeRecord {
        guard let status = TradeStatus(rawValue: model.status) else { throw StoreError.corrupt("trade status '\(model.status)'") }
        return TradeRecord(tradeID: model.id ?? "", userID: model.userID, strategyID: model.strategyID, clientID: model.clientID,
                           accountHash: model.accountHash, symbol: model.symbol, side: model.side, quantity: model.quantity,
                           entryPrice: model.entryPrice, exitPrice: model.exitPrice, profitLoss: model.profitLoss, fees: model.fees,
                           status: status, entryTime: model.entryTime, exitTime: model.exitTime, entryOrderID: model.entryOrderID,
                           exitOrderID: model.exitOrderID)
    }
}

extension Session {
    public var ledger: LedgerRepository { LedgerRepository(database: database) }
}
