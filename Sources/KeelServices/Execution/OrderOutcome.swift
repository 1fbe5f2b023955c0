import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// What Keel learned about an order from its broker, and how that is written to the books.
enum OrderOutcome: Sendable {
    /// The broker answered with the order's state.
    case answered(BrokerOrder)
    /// The broker refused the request; nothing happened there.
    case refused(String)
    /// The call's fate is unknown (timeout, 5xx): the order must not be re-sent before reconciliation.
    case unknown(String)
    /// Reconciliation found that the broker never received the order.
    case neverReceived

    var callOutcome: String {
        switch self {
        case .answered(let order): order.status == .rejected ? "rejected" : "ok"
        case .refused: "rejected"
        case .unknown: "unknown"
        case .neverReceived: "not_found"
        }
    }

    var responseText: String {
        let text: String?
        switch self {
        case .answered(let order): text = try? StoredJSON.encode(order)
        case .refused(let reason): text = try? StoredJSON.encode(["refused": reason])
        case .unknown(let reason): text = try? StoredJSON.encode(["unknown": reason])
        case .neverReceived: text = try? StoredJSON.encode(["not_found": true])
        }
        return text ?? "{}"
    }

    /// What was asked of the broker, as recorded in `broker_calls`.
    struct CallRequest: Encodable {
        var symbol: String
        var side: String
        var quantity: String
    }

    /// The record of the call that brought this outcome (every broker call is recorded).
    func callRecord(for order: BatchOrderRecord, accountHash: String, broker: String, operation: String, durationMilliseconds: Int,
                    at now: Date) -> BrokerCallRecord {
        BrokerCallRecord(
            at: now, broker: broker, accountHash: accountHash, operation: operation, clientOrderKey: order.clientOrderKey,
            request: (try? StoredJSON.encode(CallRequest(symbol: order.symbol, side: order.side.rawValue, quantity: "\(order.quantity)"))) ?? "{}",
            response: responseText, outcome: callOutcome, durationMilliseconds: durationMilliseconds)
    }

    /// The broker's fills of the order, as Keel's ledger records them.
    func fills(of order: BatchOrderRecord, accountHash: String, at now: Date) -> [FillRecord] {
        guard case .answered(let brokerOrder) = self else { return [] }
        return brokerOrder.fills.map { fill in
            FillRecord(fillID: fill.fillID, orderID: order.orderID, accountHash: accountHash, symbol: fill.symbol, side: fill.side,
                       quantity: fill.quantity, price: fill.price, commission: fill.commission, filledAt: fill.time, recordedAt: now)
        }
    }

    /// The order as this outcome leaves it (status, broker id, fills, reason).
    func settled(_ order: BatchOrderRecord, at now: Date) -> BatchOrderRecord {
        var updated = order
        updated.updatedAt = now
        switch self {
        case .answered(let brokerOrder):
            updated.brokerOrderID = brokerOrder.brokerOrderID
            updated.filledQuantity = brokerOrder.filledQuantity
            updated.averageFillPrice = brokerOrder.averageFillPrice
            updated.commission = brokerOrder.fills.reduce(Decimal(0)) { $0 + $1.commission }
            updated.rejectReason = brokerOrder.rejectReason
            switch brokerOrder.status {
            case .filled: updated.status = .filled
            case .partiallyFilled: updated.status = .partiallyFilled
            case .accepted, .working: updated.status = .working
            case .rejected: updated.status = .rejected
            case .cancelled: updated.status = brokerOrder.filledQuantity > 0 ? .partiallyFilled : .cancelled
            }
        case .refused(let reason):
            updated.status = .rejected
            updated.rejectReason = reason
        case .unknown(let reason):
            updated.status = .unknown
            updated.rejectReason = reason
        case .neverReceived:
            updated.status = .cancelled
            updated.rejectReason = "the broker never received this order (interrupted before sending); it was not re-sent"
        }
        return updated
    }

    /// Two answers about one order can be written in either order (an execution's placement and the kill switch's
    /// cancellation, say): a settled order (filled, cancelled, rejected) is never reopened by a late answer that still
    /// calls it working. True when the stored order stays as it is.
    static func keeps(stored: BatchOrderRecord?, over updated: BatchOrderRecord) -> Bool {
        guard let stored else { return false }
        return stored.status.isFinal && !updated.status.isFinal
    }

    /// Records the call and applies the outcome to the order, fills, positions, cash and trades in the
    /// caller's transaction. Returns the updated order.
    func apply(to order: BatchOrderRecord, account: AccountRecord, client: ClientRecord, strategyID: String?, broker: String,
               operation: String, durationMilliseconds: Int, session: Session, now: Date) async throws -> BatchOrderRecord {
        try await session.operations.record(callRecord(for: order, accountHash: account.accountHash, broker: broker, operation: operation,
                                                        durationMilliseconds: durationMilliseconds, at: now))
        // The account's row lock first, as every posting takes it, so the order's lock below cannot deadlock with one.
        _ = try await session.accounts.lock(hash: account.accountHash, in: session)
        for fill in fills(of: order, accountHash: account.accountHash, at: now) {
            // Fills are posted whatever the order's stored state (each once).
            try await LedgerPosting.apply(fill, account: account, userID: client.tradingUserID, strategyID: strategyID, session: session, now: now)
        }
        let updated = settled(order, at: now)
        if let stored = try await session.batches.orderForUpdate(order.orderID, in: session), Self.keeps(stored: stored, over: updated) {
            return stored
        }
        try await session.batches.saveOrder(updated)
        KeelMetrics.order(broker: broker, status: updated.status.rawValue)
        return updated
    }
}
