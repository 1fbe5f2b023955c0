import Foundation
import KeelStore

/// A batch's final status from its orders: executed, partially executed or failed once every order is settled;
/// needs_reconciliation while any order's fate is unknown (no answer, or interrupted in flight); working while every
/// order was answered and some wait at the broker to fill.
struct BatchSettlement: Sendable {
    let context: ServiceContext

    /// Sets the batch's status from its orders (final, or working / needs_reconciliation while any is open).
    /// `from`: the statuses the batch may be settled from (a batch in another one is returned as it is).
    func finish(batchID: String, clientID: Int, by actor: String,
                from allowed: Set<BatchStatus> = Set(BatchStatus.inFlight)) async throws -> BatchStatus {
        let now = context.clock.now()
        return try await context.database.write { session in
            // Under the batch's row lock: the executor's finish and the kill switch's (after it cancelled working
            // orders) run one after the other, so whichever comes second sees the other's orders.
            guard let batch = try await session.batches.findForUpdate(batchID, in: session) else { throw ServiceError.notFound("batch \(batchID)") }
            guard allowed.contains(batch.status) else { return batch.status }
            let (status, extra, details) = Self.settlement(of: batch, at: now)
            _ = try await session.batches.transition(batchID, from: BatchStatus.inFlight, to: status, at: now, setting: extra)
            try await session.audit("batch.execute.finish", actor: actor, entityType: "batch", entityID: batchID, clientID: clientID,
                                    at: now, details: details)
            return status
        }
    }

    /// The status a batch's orders settle it in, the columns that go with it and the audit details.
    static func settlement(of batch: BatchRecord, at now: Date) -> (status: BatchStatus, columns: [String: any Encodable & Sendable], details: [String: String]) {
        let statuses = batch.orders.map(\.status)
        let unknown = statuses.contains { $0 == .unknown || $0 == .submitting }
        let waiting = statuses.contains(.working)
        let filled = statuses.filter { $0 == .filled }.count
        let partly = statuses.contains(.partiallyFilled)
        let status: BatchStatus
        if unknown {
            status = .needsReconciliation
        } else if waiting {
            status = .working
        } else if filled == statuses.count {
            status = .executed
        } else if filled > 0 || partly {
            status = .partiallyExecuted
        } else {
            status = .failed
        }
        let failures = batch.orders.compactMap { order in order.rejectReason.map { "\(order.symbol): \($0)" } }
        var columns: [String: any Encodable & Sendable] = [:]
        if !BatchStatus.inFlight.contains(status) { columns["executed_at"] = now }
        if !failures.isEmpty { columns["error"] = String(failures.joined(separator: "; ").prefix(2000)) }
        return (status, columns, ["status": status.rawValue, "filled": String(filled), "orders": String(statuses.count)])
    }

    /// Settles a batch left working or needs_reconciliation once its open orders were resolved elsewhere (the kill
    /// switch cancelled them). A batch still executing is left to its executor, which settles it at its end.
    func settleIfResolved(batchID: String, clientID: Int, by actor: String) async throws {
        _ = try await finish(batchID: batchID, clientID: clientID, by: actor, from: [.working, .needsReconciliation])
    }
}
