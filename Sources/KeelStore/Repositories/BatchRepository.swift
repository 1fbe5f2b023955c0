import FluentKit
import Foundation
import KeelCore
import SQLKit

public struct BatchRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func insert(_ batch: BatchRecord) async throws {
        try await insert([batch])
    }

    /// Inserts batches and their orders with multi-row statements (one per 100 batches, one per 200 orders).
    public func insert(_ batches: [BatchRecord]) async throws {
        try await sql.insertRows(into: "trade_batches", columns: Self.batchColumns, batches, perStatement: 100, values: Self.binds)
        try await sql.insertRows(into: "batch_orders", columns: Self.orderColumns, batches.flatMap(\.orders), values: Self.binds)
    }

    public func find(_ batchID: String) async throws -> BatchRecord? {
        try await find([batchID])[batchID]
    }

    /// The latest batch of each of many accounts in one cycle (id and status only), in one query.
    public func cycleBatchStatuses(cycleID: String, accountHashes: [String]) async throws -> [String: (batchID: String, status: BatchStatus)] {
        guard !accountHashes.isEmpty else { return [:] }
        var latest: [String: (batchID: String, status: BatchStatus)] = [:]
        for row in try await sql.select().column("account_hash").column("batch_id").column("status").from("trade_batches")
            .where("cycle_id", .equal, cycleID).where("account_hash", .in, accountHashes).orderBy("created_at").all() {
            guard let status = BatchStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            latest[try row.decode(column: "account_hash", as: String.self)] = (try row.decode(column: "batch_id", as: String.self), status)
        }
        return latest
    }

    /// Reads the batch and locks its row until the transaction ends (PostgreSQL; SQLite has one writer).
    public func findForUpdate(_ batchID: String, in session: Session) async throws -> BatchRecord? {
        try await findForUpdate([batchID], in: session)[batchID]
    }

    /// One order as stored, its row locked until the transaction ends (PostgreSQL; SQLite has one writer).
    public func orderForUpdate(_ orderID: String, in session: Session) async throws -> BatchOrderRecord? {
        try await ordersForUpdate([orderID], in: session)[orderID]
    }

    public func list(clientID: Int?, accountHash: String? = nil, status: BatchStatus?, limit: Int, offset: Int = 0) async throws -> [BatchRecord] {
        var query = sql.select().columns(Self.batchColumns.map { SQLIdentifier($0) }).from("trade_batches")
        if let clientID { query = query.where("client_id", .equal, clientID) }
        if let accountHash { query = query.where("account_hash", .equal, accountHash) }
        if let status { query = query.where("status", .equal, status.rawValue) }
        let rows = try await query.orderBy("created_at", .descending).orderBy("batch_id").limit(limit).offset(offset).all()
        let orders = try await orders(batchIDs: try rows.map { try $0.decode(column: "batch_id", as: String.self) })
        return try rows.map { try Self.batch($0, orders: orders[try $0.decode(column: "batch_id", as: String.self)] ?? []) }
    }

    /// How many batches are in `status` (the approval queue's length).
    public func count(status: BatchStatus) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("trade_batches")
            .where("status", .equal, status.rawValue).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// The account's batches in one of `statuses`, newest first (the open ones a planner or executor must see),
    /// without loading its whole history.
    public func list(accountHash: String, statuses: [BatchStatus]) async throws -> [BatchRecord] {
        try await list(accountHashes: [accountHash], statuses: statuses)[accountHash] ?? []
    }

    /// The batches of many accounts in any of `statuses`, newest first per account, with their orders: two queries.
    public func list(accountHashes: [String], statuses: [BatchStatus]) async throws -> [String: [BatchRecord]] {
        guard !accountHashes.isEmpty, !statuses.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.batchColumns.map { SQLIdentifier($0) }).from("trade_batches")
            .where("account_hash", .in, accountHashes).where("status", .in, statuses.map(\.rawValue))
            .orderBy("created_at", .descending).orderBy("batch_id").all()
        let ids = try rows.map { try $0.decode(column: "batch_id", as: String.self) }
        let orders = try await orders(batchIDs: ids)
        let batches = try rows.map { try Self.batch($0, orders: orders[try $0.decode(column: "batch_id", as: String.self)] ?? []) }
        return Dictionary(grouping: batches, by: \.accountHash)
    }

    /// Moves a batch from one of `from` to `to` in one statement; false when another writer got there first.
    /// This single conditional UPDATE is the atomic claim that keeps two executors off one batch.
    public func transition(_ batchID: String, from: [BatchStatus], to: BatchStatus, at now: Date,
                           setting extra: [String: any Encodable & Sendable] = [:]) async throws -> Bool {
        !(try await transition([batchID], from: from, to: to, at: now, setting: extra)).isEmpty
    }

    /// Moves every batch of `batchIDs` that is in one of `from` to `to` in one statement; returns those it moved.
    public func transition(_ batchIDs: [String], from: [BatchStatus], to: BatchStatus, at now: Date,
                           setting extra: [String: any Encodable & Sendable] = [:]) async throws -> [String] {
        guard !batchIDs.isEmpty else { return [] }
        var update = sql.update("trade_batches")
            .set("status", to: to.rawValue)
            .set("updated_at", to: now)
        for (column, value) in extra.sorted(by: { $0.key < $1.key }) {
            update = update.set(SQLIdentifier(column), to: SQLBind(value))
        }
        return try await update
            .where("batch_id", .in, batchIDs)
            .where("status", .in, from.map(\.rawValue))
            .returning("batch_id")
            .all().map { try $0.decode(column: "batch_id", as: String.self) }
    }

    /// Status, approver, order count and orders still in flight (unknown, submitting, working) of many batches, in one
    /// query (what the cycle's batch, approval and reconciliation steps check).
    public func summaries(_ batchIDs: [String]) async throws -> [String: BatchSummary] {
        guard !batchIDs.isEmpty else { return [:] }
        let inFlight = [BatchOrderStatus.unknown, .submitting, .working].map(\.rawValue)
        var summaries: [String: BatchSummary] = [:]
        for row in try await sql.raw("""
            SELECT b.batch_id, b.status, b.approved_by, COUNT(o.order_id) AS orders,
                   SUM(CASE WHEN o.status IN (\(binds: inFlight)) THEN 1 ELSE 0 END) AS in_flight
            FROM trade_batches b LEFT JOIN batch_orders o ON o.batch_id = b.batch_id
            WHERE b.batch_id IN (\(binds: batchIDs)) GROUP BY b.batch_id, b.status, b.approved_by
            """).all() {
            guard let status = BatchStatus(rawValue: try row.decode(column: "status", as: String.self)) else { continue }
            summaries[try row.decode(column: "batch_id", as: String.self)] = BatchSummary(
                status: status, approvedBy: try row.decode(column: "approved_by", as: String?.self), orders: try row.decode(column: "orders", as: Int.self),
                ordersInFlight: try row.decode(column: "in_flight", as: Int?.self) ?? 0)
        }
        return summaries
    }

    /// Writes every column of the batch (not its orders) in one UPDATE.
    public func save(_ batch: BatchRecord) async throws {
        var update = sql.update("trade_batches")
        for (column, value) in zip(Self.batchColumns, Self.binds(batch)).dropFirst() { update = update.set(SQLIdentifier(column), to: value) }
        guard !(try await update.where("batch_id", .equal, batch.batchID).returning("batch_id").all()).isEmpty else {
            throw StoreError.notFound("batch \(batch.batchID)")
        }
    }

    /// Writes every column of the order in one UPDATE (no read first, no model reflection): it runs two or three
    /// times per order sent.
    public func saveOrder(_ order: BatchOrderRecord) async throws {
        let updated = try await sql.update("batch_orders")
            .set("batch_id", to: order.batchID).set("seq", to: order.sequence).set("symbol", to: order.symbol)
            .set("side", to: order.side.rawValue).set("quantity", to: order.quantity).set("current_weight", to: order.currentWeight)
            .set("target_weight", to: order.targetWeight).set("client_order_key", to: order.clientOrderKey)
            .set("status", to: order.status.rawValue).set("broker_order_id", to: order.brokerOrderID)
            .set("filled_quantity", to: order.filledQuantity).set("average_fill_price", to: order.averageFillPrice)
            .set("commission", to: order.commission).set("reject_reason", to: order.rejectReason)
            .set("submitted_at", to: order.submittedAt).set("updated_at", to: order.updatedAt)
            .set("reference_price", to: order.referencePrice).set("estimated_notional", to: order.estimatedNotional)
            .where("order_id", .equal, order.orderID)
            .returning("order_id").all()
        guard !updated.isEmpty else { throw StoreError.notFound("order \(order.orderID)") }
    }

    /// Orders in any of `statuses`, oldest first: reconciliation's work list.
    public func orders(statuses: [BatchOrderStatus]) async throws -> [BatchOrderRecord] {
        guard !statuses.isEmpty else { return [] }
        return try await sql.select().columns(Self.orderColumns.map { SQLIdentifier($0) }).from("batch_orders")
            .where("status", .in, statuses.map(\.rawValue)).orderBy("updated_at").orderBy("order_id").all().map(Self.order)
    }

    /// Broker order ids already recorded for orders of an account's batches.
    public func claimedBrokerOrderIDs(accountHash: String) async throws -> Set<String> {
        let rows = try await sql.raw("""
            SELECT o.broker_order_id FROM batch_orders o JOIN trade_batches b ON b.batch_id = o.batch_id
            WHERE b.account_hash = \(bind: accountHash) AND o.broker_order_id IS NOT NULL
            """).all()
        return Set(try rows.map { try $0.decode(column: "broker_order_id", as: String.self) })
    }

    public func batchIDs(statuses: [BatchStatus]) async throws -> [String] {
        guard !statuses.isEmpty else { return [] }
        return try await sql.select().column("batch_id").from("trade_batches").where("status", .in, statuses.map(\.rawValue)).orderBy("batch_id").all()
            .map { try $0.decode(column: "batch_id", as: String.self) }
    }

    /// Batches in any of `statuses` with an order of `symbol` (planned in shares that a split changes).
    public func batchIDs(statuses: [BatchStatus], withOrderOf symbol: String) async throws -> [String] {
        guard !statuses.isEmpty else { return [] }
        return try await sql.raw("""
            SELECT DISTINCT b.batch_id FROM trade_batches b JOIN batch_orders o ON o.batch_id = b.batch_id
            WHERE o.symbol = \(bind: symbol) AND b.status IN (\(binds: statuses.map(\.rawValue))) ORDER BY b.batch_id
            """).all().map { try $0.decode(column: "batch_id", as: String.self) }
    }
}

extension Session {
    public var batches: BatchRepository { BatchRepository(database: database) }
}
