import Foundation
import KeelBrokers
import KeelStore

/// Cancels one order that is working at its broker and records the call and its answer like any broker call;
/// used by the kill switch (every working order) and by an execution that finds the kill switch engaged after
/// an order it just placed was left working.
struct OrderCancellation: Sendable {
    let context: ServiceContext

    /// Returns the order as stored afterwards, or nil when the broker could not be asked (the failure is logged;
    /// reconciliation settles the order later).
    func cancel(_ order: BatchOrderRecord, batch: BatchRecord, account: AccountRecord, client: ClientRecord, broker: any Broker,
                actor: String, reason: String) async throws -> BatchOrderRecord? {
        let reference = BrokerOrderReference(clientOrderKey: order.clientOrderKey, brokerOrderID: order.brokerOrderID, symbol: order.symbol,
                                             side: order.side, quantity: order.quantity, submittedAt: order.submittedAt, claimedBrokerOrderIDs: [])
        let started = context.clock.now()
        let outcome: OrderOutcome
        do {
            outcome = .answered(try await broker.cancelOrder(accountID: account.accountHash, reference: reference))
        } catch {
            context.logger.warning("\(reason): order \(order.clientOrderKey) could not be cancelled at \(broker.name): \(error)")
            return nil
        }
        let elapsed = Int(context.clock.now().timeIntervalSince(started) * 1000)
        let clock = context.clock, name = broker.name
        return try await context.database.write { session in
            let saved = try await outcome.apply(to: order, account: account, client: client, strategyID: batch.strategy, broker: name,
                                                operation: "cancel_order", durationMilliseconds: elapsed, session: session, now: clock.now())
            try await session.audit("order.cancel", actor: actor, entityType: "order", entityID: order.clientOrderKey,
                                    clientID: client.clientID, at: clock.now(), details: ["reason": reason, "status": saved.status.rawValue])
            return saved
        }
    }
}
