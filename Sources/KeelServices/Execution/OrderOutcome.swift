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

    /// Records the call and applies the outcome to the order, fills, positions, cash and trades in the
    /// caller's transaction. Returns the updated order.
    func apply(to order: BatchOrderRecord, account: AccountRecord, client: ClientRecord, strategyID: String?, broker: String,
               operation: String, durationMilliseconds: Int, session: Session, now: Date) async throws -> BatchOrderRecord {
        try await session.operations.record(BrokerCallRecord(
            at: now, broker: broker, accountHash: account.accountHash, operation: operation, clientOrderKey: order.clientOrderKey,
            request: (try? StoredJSON.encode(CallRequest(symbol: order.symbol, side: order.side.rawValue, quantity: "\(order.quantity)"))) ?? "{}",
            response: responseText, outcome: callOutcome, durationMilliseconds: durationMilliseconds))

        // The account's row lock first, as every posting takes it, so the order's lock below cannot deadlock with one.
        _ = try await session.accounts.lock(hash: account.accountHash, in: session)
        var updated = order
        updated.updatedAt = now
        switch self {
        case .answered(let brokerOrder):
            updated.brokerOrderID = brokerOrder.brokerOrderID
            let userID = client.tradingUserID
            for fill in brokerOrder.fills {
                try await LedgerPosting.apply(FillRecord(fillID: fill.fillID, orderID: order.orderID, accountHash: account.accountHash,
                                                         symbol: fill.symbol, side: fill.side, quantity: fill.quantity, price: fill.price,
                                                         commission: fill.commission, filledAt: fill.time, recordedAt: now),
                                              account: account, userID: userID, strategyID: strategyID, session: session, now: now)
            }
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
        // Two answers about one order can be written in either order (an execution's placement and the kill switch's
        // cancellation, say): under the row lock, a settled order (filled, cancelled, rejected) is never reopened by
        // a late answer that still calls it working. Fills were posted above either way (each once).
        if let stored = try await session.batches.orderForUpdate(order.orderID, in: session), stored.status.isFinal, !updated.status.isFinal {
            return stored
        }
        try await session.batches.saveOrder(updated)
        KeelMetrics.order(broker: broker, status: updated.status.rawValue)
        return updated
    }
}
