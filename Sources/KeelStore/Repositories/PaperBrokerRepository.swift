import FluentKit
import Foundation
import KeelCore
import SQLKit

/// One order in the paper broker's books, as stored.
public struct PaperOrderRow: Sendable, Hashable {
    public var brokerOrderID: String
    public var accountID: String
    public var clientOrderKey: String
    public var symbol: String
    public var side: OrderSide
    public var quantity: Decimal
    public var status: String
    public var rejectReason: String?
    public var fillID: String?
    public var fillPrice: Decimal?
    public var fillQuantity: Decimal?
    public var commission: Decimal
    public var createdAt: Date
    public var orderType: String? = nil
    public var limitPrice: Decimal? = nil
    /// Every fill as JSON (the broker's own encoding); nil on rows from before fills were kept apart.
    public var fills: String? = nil
    public var updatedAt: Date? = nil

    public init(brokerOrderID: String, accountID: String, clientOrderKey: String, symbol: String, side: OrderSide, quantity: Decimal,
                status: String, rejectReason: String?, fillID: String?, fillPrice: Decimal?, fillQuantity: Decimal?, commission: Decimal, createdAt: Date) {
        self.brokerOrderID = brokerOrderID
        self.accountID = accountID
        self.clientOrderKey = clientOrderKey
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.status = status
        self.rejectReason = rejectReason
        self.fillID = fillID
        self.fillPrice = fillPrice
        self.fillQuantity = fillQuantity
        self.commission = commission
        self.createdAt = createdAt
    }
}

public struct PaperBrokerRepository: Sendable {
    let database: any Database

    public func openAccount(accountID: String, openingCash: Decimal, at now: Date) async throws {
        guard try await PaperBrokerAccountModel.find(accountID, on: database) == nil else { return }
        let model = PaperBrokerAccountModel()
        model.id = accountID
        model.openingCash = openingCash
        model.openedAt = now
        try await model.create(on: database)
    }

    public func openingCash(accountID: String) async throws -> Decimal? {
        try await PaperBrokerAccountModel.find(accountID, on: database)?.openingCash
    }

    /// Moves cash into (positive) or out of (negative) the paper account from outside: the paper broker's cash is
    /// its contributed cash plus its fills, so a transfer changes the contributed cash. Call under `lockAccount`.
    public func transfer(accountID: String, amount: Decimal) async throws {
        guard let model = try await PaperBrokerAccountModel.find(accountID, on: database) else { throw StoreError.notFound("paper account \(accountID)") }
        model.openingCash += amount
        try await model.save(on: database)
    }

    /// The account's opening cash, its row locked until the transaction ends (PostgreSQL).
    public func lockAccount(accountID: String, in session: Session) async throws -> Decimal? {
        if session.dialect == .postgres {
            _ = try await session.sql.raw("SELECT account_id FROM paper_broker_accounts WHERE account_id = \(bind: accountID) FOR UPDATE").all()
        }
        return try await openingCash(accountID: accountID)
    }

    /// The opening cash of many paper accounts, their rows locked in id order until the transaction ends (PostgreSQL).
    public func lockAccounts(accountIDs: [String], in session: Session) async throws -> [String: Decimal] {
        guard !accountIDs.isEmpty else { return [:] }
        let lock = session.dialect == .postgres ? " ORDER BY account_id FOR UPDATE" : ""
        let rows = try await sql.raw("""
            SELECT account_id, opening_cash FROM paper_broker_accounts WHERE account_id IN (\(binds: accountIDs))\(unsafeRaw: lock)
            """).all()
        return Dictionary(try rows.map { (try $0.decode(column: "account_id", as: String.self), try $0.decode(column: "opening_cash", as: Decimal.self)) },
                          uniquingKeysWith: { first, _ in first })
    }

    /// Inserts unless the client order key exists (the unique key decides, even between processes).
    public func insertIfAbsent(_ row: PaperOrderRow) async throws -> PaperOrderRow {
        if let existing = try await order(clientOrderKey: row.clientOrderKey) { return existing }
        return try await insert(row)
    }

    /// Inserts a row whose key the caller found absent under the account's lock; a row with the same key that
    /// raced in anyway (the unique key decides) is returned instead.
    public func insert(_ row: PaperOrderRow) async throws -> PaperOrderRow {
        do {
            try await insert([row])
            return row
        } catch {
            if case StoreError.duplicate = StoreError.translate(error), let existing = try await order(clientOrderKey: row.clientOrderKey) {
                return existing
            }
            throw error
        }
    }

    static let orderColumns = ["broker_order_id", "account_id", "client_order_key", "symbol", "side", "quantity", "status", "reject_reason", "fill_id",
                               "fill_price", "fill_quantity", "commission", "created_at", "order_type", "limit_price", "fills", "updated_at"]

    /// Inserts orders whose keys the caller found absent under their accounts' locks, one multi-row INSERT per 200.
    public func insert(_ rows: [PaperOrderRow]) async throws {
        try await sql.insertRows(into: "paper_broker_orders", columns: Self.orderColumns, rows) { row in
            [SQLBind(row.brokerOrderID), SQLBind(row.accountID), SQLBind(row.clientOrderKey), SQLBind(row.symbol), SQLBind(row.side.rawValue),
             SQLBind(row.quantity), SQLBind(row.status), SQLBind(row.rejectReason), SQLBind(row.fillID), SQLBind(row.fillPrice),
             SQLBind(row.fillQuantity), SQLBind(row.commission), SQLBind(row.createdAt), SQLBind(row.orderType), SQLBind(row.limitPrice),
             SQLBind(row.fills), SQLBind(row.updatedAt)]
        }
    }

    /// Stores a changed order (new fills, a status change, a cancellation).
    public func update(_ row: PaperOrderRow) async throws {
        try await sql.update("paper_broker_orders").set("status", to: row.status).set("reject_reason", to: row.rejectReason)
            .set("commission", to: row.commission).set("fills", to: row.fills).set("updated_at", to: row.updatedAt)
            .where("broker_order_id", .equal, row.brokerOrderID).run()
    }

    // Reads are plain SQL rows: the paper broker reads an account's orders on every order it decides, and a
    // Fluent model per row cost more than the query.
    public func order(clientOrderKey: String) async throws -> PaperOrderRow? {
        try await sql.select().column("*").from("paper_broker_orders").where("client_order_key", .equal, clientOrderKey).first().map(Self.row)
    }

    public func orders(accountID: String) async throws -> [PaperOrderRow] {
        try await orders(accountIDs: [accountID])[accountID] ?? []
    }

    /// Every order of many accounts, oldest first, by account (one query).
    public func orders(accountIDs: [String]) async throws -> [String: [PaperOrderRow]] {
        guard !accountIDs.isEmpty else { return [:] }
        let rows = try await sql.select().column("*").from("paper_broker_orders").where("account_id", .in, accountIDs)
            .orderBy("created_at").orderBy("broker_order_id").all().map(Self.row)
        return Dictionary(grouping: rows, by: \.accountID)
    }

    var sql: any SQLDatabase { database as! any SQLDatabase }

    static func row(_ row: any SQLRow) throws -> PaperOrderRow {
        let sideName = try row.decode(column: "side", as: String.self)
        guard let side = OrderSide(rawValue: sideName) else { throw StoreError.corrupt("paper order side '\(sideName)'") }
        var order = PaperOrderRow(brokerOrderID: try row.decode(column: "broker_order_id", as: String.self),
                                  accountID: try row.decode(column: "account_id", as: String.self),
                                  clientOrderKey: try row.decode(column: "client_order_key", as: String.self),
                                  symbol: try row.decode(column: "symbol", as: String.self), side: side,
                                  quantity: try row.decode(column: "quantity", as: Decimal.self), status: try row.decode(column: "status", as: String.self),
                                  rejectReason: try row.decode(column: "reject_reason", as: String?.self),
                                  fillID: try row.decode(column: "fill_id", as: String?.self), fillPrice: try row.decode(column: "fill_price", as: Decimal?.self),
                                  fillQuantity: try row.decode(column: "fill_quantity", as: Decimal?.self),
                                  commission: try row.decode(column: "commission", as: Decimal.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        order.orderType = try row.decode(column: "order_type", as: String?.self)
        order.limitPrice = try row.decode(column: "limit_price", as: Decimal?.self)
        order.fills = try row.decode(column: "fills", as: String?.self)
        order.updatedAt = try row.decode(column: "updated_at", as: Date?.self)
        return order
    }
}

extension Session {
    public var paperBroker: PaperBrokerRepository { PaperBrokerRepository(database: database) }
}
