import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Settles what an interruption left open (rule 6): asks the broker about every order whose fate is unknown
/// or whose send was interrupted, applies what it says, finishes the batches, and compares Keel's books with
/// the broker's. Runs at start-up and on a timer.
public struct ReconciliationService: Sendable {
    let context: ServiceContext
    let brokers: BrokerRegistry
    let execution: ExecutionService

    public init(context: ServiceContext, brokers: BrokerRegistry) {
        self.context = context
        self.brokers = brokers
        self.execution = ExecutionService(context: context, brokers: brokers)
    }

    public struct Mismatch: Sendable, Hashable {
        public var accountHash: String
        public var symbol: String?
        public var keel: Decimal
        public var broker: Decimal
    }

    public struct Report: Sendable {
        public var ordersResolved: Int
        public var ordersStillUnknown: Int
        public var batchesFinished: Int
        public var mismatches: [Mismatch]
    }

    /// `inFlightGrace`: an order in `submitting` younger than this may still be in another process's hands.
    public func reconcile(inFlightGrace: TimeInterval = 120) async throws -> Report {
        let now = context.clock.now()
        let (open, stuckBatches) = try await context.database.read { session in
            (try await session.batches.orders(statuses: [.unknown, .submitting, .working]),
             try await session.batches.batchIDs(statuses: [.executing, .needsReconciliation]))
        }
        var resolved = 0, stillUnknown = 0
        var touchedBatches = Set<String>()
        for order in open {
            if order.status == .submitting, let sent = order.submittedAt, now.timeIntervalSince(sent) < inFlightGrace { continue }
            let found = try await context.database.read { session -> (BatchRecord, AccountRecord, ClientRecord)? in
                guard let batch = try await session.batches.find(order.batchID),
                      let account = try await session.accounts.find(hash: batch.accountHash),
                      let client = try await session.clients.find(batch.clientID) else { return nil }
                return (batch, account, client)
            }
            guard let (batch, account, client) = found else { continue }
            let broker = try brokers.broker(for: account)
            let started = context.clock.now()
            let outcome: OrderOutcome
            do {
                let claimed = try await context.database.read { session in
                    try await session.batches.claimedBrokerOrderIDs(accountHash: account.accountHash)
                }
                let reference = BrokerOrderReference(clientOrderKey: order.clientOrderKey, brokerOrderID: order.brokerOrderID, symbol: order.symbol,
                                                     side: order.side, quantity: order.quantity, submittedAt: order.submittedAt,
                                                     claimedBrokerOrderIDs: claimed.subtracting([order.brokerOrderID].compactMap { $0 }))
                if let brokerOrder = try await broker.order(accountID: account.accountHash, reference: reference) {
                    outcome = .answered(brokerOrder)
                } else {
                    outcome = .neverReceived
                }
            } catch {
                stillUnknown += 1
                context.logger.warning("reconciliation could not reach \(broker.name) for order \(order.clientOrderKey): \(error)")
                continue
            }
            let elapsed = Int(context.clock.now().timeIntervalSince(started) * 1000)
            let clock = context.clock, name = broker.name, strategy = batch.strategy
            let updated = try await context.database.write { session in
                try await outcome.apply(to: order, account: account, client: client, strategyID: strategy, broker: name,
                                        operation: "reconcile_order", durationMilliseconds: elapsed, session: session, now: clock.now())
            }
            if updated.status.isFinal { resolved += 1 } else { stillUnknown += 1 }
            touchedBatches.insert(batch.batchID)
        }

        var finished = 0
        for batchID in touchedBatches.union(stuckBatches) {
            guard let batch = try await context.database.read({ try await $0.batches.find(batchID) }) else { continue }
            if batch.status == .executing, let started = batch.executionStartedAt, now.timeIntervalSince(started) < inFlightGrace { continue }
            let pending = batch.orders.contains { [.unknown, .submitting, .working].contains($0.status) }
            if pending { continue }
            if batch.status == .executing || batch.status == .needsReconciliation {
                // Orders never sent after an interruption are not sent now: prices moved; the batch is finished as is.
                try await cancelUnsent(batch)
                _ = try await execution.finish(batchID: batchID, clientID: batch.clientID, by: "reconciliation")
                finished += 1
            }
        }
        let mismatches = try await compareBooks()
        return Report(ordersResolved: resolved, ordersStillUnknown: stillUnknown, batchesFinished: finished, mismatches: mismatches)
    }

    private func cancelUnsent(_ batch: BatchRecord) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            for var order in batch.orders where order.status == .planned {
                order.status = .cancelled
                order.rejectReason = "not sent: execution was interrupted; regenerate the batch"
                order.updatedAt = now
                try await session.batches.saveOrder(order)
            }
        }
    }

    /// Cash and positions of every paper account against the paper broker's books; differences are audited.
    private func compareBooks() async throws -> [Mismatch] {
        let accounts = try await context.database.read { session in
            try await session.sql.raw("SELECT account_hash FROM brokerage_accounts WHERE brokerage_id = 2").all()
                .map { try $0.decode(column: "account_hash", as: String.self) }
        }
        var mismatches: [Mismatch] = []
        for hash in accounts {
            guard let account = try await context.database.read({ try await $0.accounts.find(hash: hash) }) else { continue }
            guard let snapshot = try? await brokers.paper.accountSnapshot(accountID: hash) else { continue }
            let positions = try await context.database.read { try await $0.ledger.positions(accountHash: hash) }
            if snapshot.cash != account.cash.roundedToCents {
                mismatches.append(Mismatch(accountHash: hash, symbol: nil, keel: account.cash, broker: snapshot.cash))
            }
            let keelQuantities = Dictionary(uniqueKeysWithValues: positions.map { ($0.symbol, $0.quantity) })
            let brokerQuantities = Dictionary(uniqueKeysWithValues: snapshot.positions.map { ($0.symbol, $0.quantity) })
            for symbol in Set(keelQuantities.keys).union(brokerQuantities.keys).sorted()
            where keelQuantities[symbol, default: 0] != brokerQuantities[symbol, default: 0] {
                mismatches.append(Mismatch(accountHash: hash, symbol: symbol, keel: keelQuantities[symbol, default: 0],
                                           broker: brokerQuantities[symbol, default: 0]))
            }
        }
        if !mismatches.isEmpty {
            let now = context.clock.now()
            let found = mismatches
            try await context.database.write { session in
                for mismatch in found {
                    try await session.audit("reconciliation.mismatch", actor: "reconciliation", entityType: "account",
                                            entityID: mismatch.accountHash, clientID: nil, at: now,
                                            details: ["symbol": mismatch.symbol ?? "cash", "keel": mismatch.keel.description,
                                                      "broker": mismatch.broker.description])
                }
            }
            context.logger.warning("reconciliation found \(mismatches.count) difference(s) between Keel's books and the broker's")
        }
        return mismatches
    }
}
