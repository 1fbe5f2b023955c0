import FluentKit
import Foundation
import KeelCore
import SQLKit

/// Batches and orders read and written as plain SQL rows, many at a time: the planner, the executor and the cycle
/// touch them for every account, where a Fluent model per row cost more than the query.
extension BatchRepository {
    static let batchColumns = [
        "batch_id", "client_id", "account_hash", "portfolio_id", "strategy", "model_version", "model_id", "cycle_id", "status", "content_hash",
        "require_approval", "portfolio_value", "plan_notes", "created_by", "created_at", "approval_expires_at", "approved_by", "approved_at",
        "approved_hash", "rejected_by", "rejected_at", "rejection_reason", "execution_mode", "executed_by", "execution_started_at", "executed_at",
        "error", "updated_at",
    ]

    static let orderColumns = [
        "order_id", "batch_id", "seq", "symbol", "side", "quantity", "reference_price", "estimated_notional", "current_weight", "target_weight",
        "client_order_key", "status", "broker_order_id", "filled_quantity", "average_fill_price", "commission", "reject_reason", "submitted_at",
        "updated_at", "lot_ids",
    ]

    /// Batches by id with their orders: two queries whatever their number.
    public func find(_ batchIDs: [String]) async throws -> [String: BatchRecord] {
        guard !batchIDs.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.batchColumns.map { SQLIdentifier($0) }).from("trade_batches")
            .where("batch_id", .in, batchIDs).all()
        let orders = try await orders(batchIDs: batchIDs)
        return Dictionary(try rows.map { row in
            let batch = try Self.batch(row, orders: orders[try row.decode(column: "batch_id", as: String.self)] ?? [])
            return (batch.batchID, batch)
        }, uniquingKeysWith: { first, _ in first })
    }

    /// The batches' rows locked until the transaction ends (PostgreSQL; SQLite has one writer), in id order so that two
    /// lockers of overlapping sets cannot deadlock; then read.
    public func findForUpdate(_ batchIDs: [String], in session: Session) async throws -> [String: BatchRecord] {
        guard !batchIDs.isEmpty else { return [:] }
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT batch_id FROM trade_batches WHERE batch_id IN (\(binds: batchIDs)) ORDER BY batch_id FOR UPDATE").all()
        }
        return try await find(batchIDs)
    }

    /// The orders of many batches, in sequence order, by batch.
    func orders(batchIDs: [String]) async throws -> [String: [BatchOrderRecord]] {
        guard !batchIDs.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.orderColumns.map { SQLIdentifier($0) }).from("batch_orders")
            .where("batch_id", .in, batchIDs).orderBy("batch_id").orderBy("seq").all()
        return Dictionary(grouping: try rows.map(Self.order), by: \.batchID)
    }

    /// Orders by id, their rows locked until the transaction ends (PostgreSQL), in id order.
    public func ordersForUpdate(_ orderIDs: [String], in session: Session) async throws -> [String: BatchOrderRecord] {
        guard !orderIDs.isEmpty else { return [:] }
        let lock = session.dialect == .postgres ? " ORDER BY order_id FOR UPDATE" : ""
        let columns = Self.orderColumns.joined(separator: ", ")
        let rows = try await sql.raw("SELECT \(unsafeRaw: columns) FROM batch_orders WHERE order_id IN (\(binds: orderIDs))\(unsafeRaw: lock)").all()
        return Dictionary(try rows.map(Self.order).map { ($0.orderID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Writes every column of many existing orders: one multi-row upsert per 200 orders. An order id that does not exist
    /// is an error (an order is only ever created with its batch).
    public func saveOrders(_ orders: [BatchOrderRecord]) async throws {
        guard !orders.isEmpty else { return }
        let known = try await sql.select().column("order_id").from("batch_orders").where("order_id", .in, orders.map(\.orderID)).all()
        guard known.count == Set(orders.map(\.orderID)).count else { throw StoreError.notFound("order of \(orders.first?.batchID ?? "?")") }
        try await sql.insertRows(into: "batch_orders", columns: Self.orderColumns, orders, upsertOn: ["order_id"],
                                 updating: Array(Self.orderColumns.dropFirst()), values: Self.binds)
    }

    /// The lots each of these sale orders was planned to sell (orders without instructions are absent), in slices so
    /// no statement passes either database's bound-parameter limit.
    public func lotInstructions(orderIDs: [String]) async throws -> [String: [String]] {
        var instructions: [String: [String]] = [:]
        for start in stride(from: 0, to: orderIDs.count, by: 1_000) {
            let slice = Array(orderIDs[start..<min(start + 1_000, orderIDs.count)])
            let rows = try await sql.select().column("order_id").column("lot_ids").from("batch_orders")
                .where("order_id", .in, slice).where("lot_ids", .isNot, SQLLiteral.null).all()
            for row in rows {
                instructions[try row.decode(column: "order_id", as: String.self)] = try TaxHarvestRepository.lotIDs(try row.decode(column: "lot_ids", as: String.self),
                                                                                                    column: "batch_orders.lot_ids")
            }
        }
        return instructions
    }

    static func binds(_ order: BatchOrderRecord) -> [any SQLExpression] {
        [SQLBind(order.orderID), SQLBind(order.batchID), SQLBind(order.sequence), SQLBind(order.symbol), SQLBind(order.side.rawValue),
         SQLBind(order.quantity), SQLBind(order.referencePrice), SQLBind(order.estimatedNotional), SQLBind(order.currentWeight),
         SQLBind(order.targetWeight), SQLBind(order.clientOrderKey), SQLBind(order.status.rawValue), SQLBind(order.brokerOrderID),
         SQLBind(order.filledQuantity), SQLBind(order.averageFillPrice), SQLBind(order.commission), SQLBind(order.rejectReason),
         SQLBind(order.submittedAt), SQLBind(order.updatedAt), SQLBind(order.lotIDs.map(TaxHarvestRepository.lotIDsText))]
    }

    static func binds(_ batch: BatchRecord) -> [any SQLExpression] {
        [SQLBind(batch.batchID), SQLBind(batch.clientID), SQLBind(batch.accountHash), SQLBind(batch.portfolioID), SQLBind(batch.strategy),
         SQLBind(batch.modelVersion), SQLBind(batch.modelID), SQLBind(batch.cycleID), SQLBind(batch.status.rawValue), SQLBind(batch.contentHash),
         SQLBind(batch.requireApproval), SQLBind(batch.portfolioValue), SQLBind(batch.planNotes), SQLBind(batch.createdBy), SQLBind(batch.createdAt),
         SQLBind(batch.approvalExpiresAt), SQLBind(batch.approvedBy), SQLBind(batch.approvedAt), SQLBind(batch.approvedHash),
         SQLBind(batch.rejectedBy), SQLBind(batch.rejectedAt), SQLBind(batch.rejectionReason), SQLBind(batch.executionMode?.rawValue),
         SQLBind(batch.executedBy), SQLBind(batch.executionStartedAt), SQLBind(batch.executedAt), SQLBind(batch.error), SQLBind(batch.updatedAt)]
    }

    static func batch(_ row: any SQLRow, orders: [BatchOrderRecord]) throws -> BatchRecord {
        let statusName = try row.decode(column: "status", as: String.self)
        guard let status = BatchStatus(rawValue: statusName) else { throw StoreError.corrupt("batch status '\(statusName)'") }
        var batch = BatchRecord(
            batchID: try row.decode(column: "batch_id", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
            accountHash: try row.decode(column: "account_hash", as: String.self), portfolioID: try row.decode(column: "portfolio_id", as: Int.self),
            strategy: try row.decode(column: "strategy", as: String.self), modelVersion: try row.decode(column: "model_version", as: String.self),
            status: status, contentHash: try row.decode(column: "content_hash", as: String.self),
            requireApproval: try row.decode(column: "require_approval", as: Bool.self),
            portfolioValue: try row.decode(column: "portfolio_value", as: Decimal.self), planNotes: try row.decode(column: "plan_notes", as: String.self),
            createdBy: try row.decode(column: "created_by", as: String.self), createdAt: try row.decode(column: "created_at", as: Date.self),
            approvalExpiresAt: try row.decode(column: "approval_expires_at", as: Date?.self), orders: orders)
        batch.modelID = try row.decode(column: "model_id", as: String?.self)
        batch.cycleID = try row.decode(column: "cycle_id", as: String?.self)
        batch.approvedBy = try row.decode(column: "approved_by", as: String?.self)
        batch.approvedAt = try row.decode(column: "approved_at", as: Date?.self)
        batch.approvedHash = try row.decode(column: "approved_hash", as: String?.self)
        batch.rejectedBy = try row.decode(column: "rejected_by", as: String?.self)
        batch.rejectedAt = try row.decode(column: "rejected_at", as: Date?.self)
        batch.rejectionReason = try row.decode(column: "rejection_reason", as: String?.self)
        batch.executionMode = try row.decode(column: "execution_mode", as: String?.self).flatMap(TradingMode.init(rawValue:))
        batch.executedBy = try row.decode(column: "executed_by", as: String?.self)
        batch.executionStartedAt = try row.decode(column: "execution_started_at", as: Date?.self)
        batch.executedAt = try row.decode(column: "executed_at", as: Date?.self)
        batch.error = try row.decode(column: "error", as: String?.self)
        batch.updatedAt = try row.decode(column: "updated_at", as: Date.self)
        return batch
    }

    static func order(_ row: any SQLRow) throws -> BatchOrderRecord {
        let orderID = try row.decode(column: "order_id", as: String.self)
        let sideName = try row.decode(column: "side", as: String.self), statusName = try row.decode(column: "status", as: String.self)
        guard let side = OrderSide(rawValue: sideName), let status = BatchOrderStatus(rawValue: statusName) else {
            throw StoreError.corrupt("order \(orderID) side '\(sideName)' status '\(statusName)'")
        }
        return BatchOrderRecord(
            orderID: orderID, batchID: try row.decode(column: "batch_id", as: String.self), sequence: try row.decode(column: "seq", as: Int.self),
            symbol: try row.decode(column: "symbol", as: String.self), side: side, quantity: try row.decode(column: "quantity", as: Decimal.self),
            referencePrice: try row.decode(column: "reference_price", as: Decimal.self),
            estimatedNotional: try row.decode(column: "estimated_notional", as: Decimal.self),
            currentWeight: try row.decode(column: "current_weight", as: Double.self), targetWeight: try row.decode(column: "target_weight", as: Double.self),
            clientOrderKey: try row.decode(column: "client_order_key", as: String.self), status: status,
            brokerOrderID: try row.decode(column: "broker_order_id", as: String?.self),
            filledQuantity: try row.decode(column: "filled_quantity", as: Decimal.self),
            averageFillPrice: try row.decode(column: "average_fill_price", as: Decimal?.self), commission: try row.decode(column: "commission", as: Decimal.self),
            rejectReason: try row.decode(column: "reject_reason", as: String?.self), submittedAt: try row.decode(column: "submitted_at", as: Date?.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self),
            lotIDs: try row.decode(column: "lot_ids", as: String?.self).map { try TaxHarvestRepository.lotIDs($0, column: "batch_orders.lot_ids") })
    }
}
