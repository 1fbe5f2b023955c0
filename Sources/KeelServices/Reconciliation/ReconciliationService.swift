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
        /// Symbols whose tax lots hold more than the positions (opening lots are added where they hold less).
        public var lotMismatches: [(accountHash: String, symbol: String, lots: Decimal, position: Decimal)] = []
    }

    /// `inFlightGrace`: an order in `submitting` younger than this may still be in another process's hands.
    /// `accountHash`: only that account's orders, batches and books (the autonomous cycle's reconciliation step).
    public func reconcile(inFlightGrace: TimeInterval = 120, accountHash: String? = nil) async throws -> Report {
        // The paper broker's books follow a split from its ex-date; Keel's must too before they are compared.
        try await SplitLedger.applyDue(context: context)
        let now = context.clock.now()
        let (open, stuckBatches) = try await context.database.read { session in
            (try await session.batches.orders(statuses: [.unknown, .submitting, .working]),
             try await session.batches.batchIDs(statuses: BatchStatus.inFlight))
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
            if let accountHash, batch.accountHash != accountHash { continue }
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
            if let accountHash, batch.accountHash != accountHash { continue }
            if batch.status == .executing, let started = batch.executionStartedAt, now.timeIntervalSince(started) < inFlightGrace { continue }
            let pending = batch.orders.contains { [.unknown, .submitting, .working].contains($0.status) }
            if pending { continue }
            if BatchStatus.inFlight.contains(batch.status) {
                // Orders never sent after an interruption are not sent now: prices moved; the batch is finished as is.
                try await cancelUnsent(batch)
                _ = try await execution.finish(batchID: batchID, clientID: batch.clientID, by: "reconciliation")
                finished += 1
            }
        }
        let mismatches = try await compareBooks(only: accountHash)
        var report = Report(ordersResolved: resolved, ordersStillUnknown: stillUnknown, batchesFinished: finished, mismatches: mismatches)
        report.lotMismatches = try await reconcileLots(only: accountHash, now: now)
        return report
    }

    /// The tax lots against the positions: lots opened where the positions hold more; the rest reported and logged.
    private func reconcileLots(only accountHash: String?, now: Date) async throws -> [(accountHash: String, symbol: String, lots: Decimal, position: Decimal)] {
        let left = try await context.database.write { session in
            let hashes: [String]
            if let accountHash { hashes = [accountHash] } else { hashes = try await TaxLedger.accountsWithHoldings(session: session) }
            return try await TaxLedger.reconcile(accountHashes: hashes, session: session, now: now)
        }
        for mismatch in left {
            context.logger.warning("tax lots of \(mismatch.accountHash) hold \(mismatch.lots) \(mismatch.symbol), the position \(mismatch.position)")
        }
        return left.map { ($0.accountHash, $0.symbol, $0.lots, $0.position) }
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

    /// Keel's and the broker's books of one account, as compared: cash and every symbol's quantity.
    private func differences(_ hash: String) async throws -> [Mismatch]? {
        guard let account = try await context.database.read({ try await $0.accounts.find(hash: hash) }) else { return nil }
        guard let snapshot = try? await brokers.paper.accountSnapshot(accountID: hash) else { return nil }
        let positions = try await context.database.read { try await $0.ledger.positions(accountHash: hash) }
        var found: [Mismatch] = []
        if snapshot.cash != account.cash.roundedToCents {
            found.append(Mismatch(accountHash: hash, symbol: nil, keel: account.cash, broker: snapshot.cash))
        }
        let keelQuantities = Dictionary(uniqueKeysWithValues: positions.map { ($0.symbol, $0.quantity) })
        let brokerQuantities = Dictionary(uniqueKeysWithValues: snapshot.positions.map { ($0.symbol, $0.quantity) })
        for symbol in Set(keelQuantities.keys).union(brokerQuantities.keys).sorted()
        where keelQuantities[symbol, default: 0] != brokerQuantities[symbol, default: 0] {
            found.append(Mismatch(accountHash: hash, symbol: symbol, keel: keelQuantities[symbol, default: 0], broker: brokerQuantities[symbol, default: 0]))
        }
        return found
    }

    /// Cash and positions of every paper account at rest (no execution or unresolved order in flight) against
    /// the paper broker's books. A difference is audited, raises a critical alert and halts new orders for the
    /// account until it is resolved (`resolve`).
    private func compareBooks(only accountHash: String? = nil) async throws -> [Mismatch] {
        let accounts = try await context.database.read { try await $0.accounts.paperAccountsAtRest() }.filter { accountHash == nil || $0 == accountHash }
        var mismatches: [Mismatch] = []
        for hash in accounts {
            guard let found = try await differences(hash), !found.isEmpty else { continue }
            mismatches += found
            try await halt(hash, found)
        }
        if !mismatches.isEmpty {
            KeelMetrics.reconciliationMismatches(mismatches.count)
            context.logger.warning("reconciliation found \(mismatches.count) difference(s) between Keel's books and the broker's; those accounts are halted")
        }
        return mismatches
    }

    private func halt(_ hash: String, _ found: [Mismatch]) async throws {
        let now = context.clock.now()
        let settings = context.settings
        let summary = found.map { "\($0.symbol ?? "cash"): Keel \($0.keel), broker \($0.broker)" }.joined(separator: "; ")
        try await context.database.write { session in
            guard let account = try await session.accounts.lock(hash: hash, in: session) else { return }
            for mismatch in found {
                try await session.audit("reconciliation.mismatch", actor: "reconciliation", entityType: "account",
                                        entityID: hash, clientID: account.clientID, at: now,
                                        details: ["symbol": mismatch.symbol ?? "cash", "keel": mismatch.keel.description,
                                                  "broker": mismatch.broker.description])
            }
            if !account.isHalted {
                try await session.accounts.setHalt(hash: hash, reason: String("reconciliation mismatch: \(summary)".prefix(500)), at: now)
            }
            try await AlertOutbox.raise(NewAlert(kind: Self.mismatchAlert, severity: "critical", clientID: account.clientID, accountHash: hash,
                                                 message: "Keel's books of account \(hash) differ from the broker's (\(summary)); new orders are halted until resolved"),
                                        session: session, settings: settings, at: now)
        }
    }

    public static let mismatchAlert = "reconciliation_mismatch"

    /// Lifts an account's halt. Without `adoptBrokerBooks` the books must agree now (the difference was fixed);
    /// with it, Keel's cash and positions are set to the broker's (each correction audited). Admin only.
    public func resolve(accountHash: String, adoptBrokerBooks: Bool, by principal: Principal) async throws -> AccountRecord {
        try principal.ensureAdmin()
        guard let account = try await context.database.read({ try await $0.accounts.find(hash: accountHash) }) else {
            throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
        }
        guard account.isHalted else { throw ServiceError.conflict("not_halted", "account \(accountHash) is not halted", field: "account_hash") }
        let found = try await differences(accountHash) ?? []
        if !found.isEmpty && !adoptBrokerBooks {
            throw ServiceError.conflict("books_still_differ", "Keel's and the broker's books still differ in "
                + found.map { $0.symbol ?? "cash" }.joined(separator: ", ") + "; fix them or resolve with adopt_broker_books: true")
        }
        let snapshot = adoptBrokerBooks ? try await brokers.paper.accountSnapshot(accountID: accountHash) : nil
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let locked = try await session.accounts.lock(hash: accountHash, in: session) else { throw ServiceError.notFound("account \(accountHash)") }
            if let snapshot {
                try await session.accounts.setCash(hash: accountHash, cash: snapshot.cash, at: now)
                let held = try await session.ledger.positions(accountHash: accountHash)
                for var position in held where !snapshot.positions.contains(where: { $0.symbol == position.symbol }) {
                    position.quantity = 0
                    try await session.ledger.savePosition(position)
                }
                for position in snapshot.positions {
                    let existing = held.first { $0.symbol == position.symbol }
                    try await session.ledger.savePosition(PositionRecord(
                        accountHash: accountHash, clientID: locked.clientID, userID: existing?.userID, symbol: position.symbol, quantity: position.quantity,
                        averageCost: existing?.averageCost ?? position.averageCost, openedAt: existing?.openedAt ?? now, updatedAt: now))
                }
            }
            try await session.accounts.setHalt(hash: accountHash, reason: nil, at: now)
            try await session.alerts.resolve(kinds: [Self.mismatchAlert], clientID: locked.clientID, accountHash: accountHash, at: now)
            try await session.audit("reconciliation.resolve", actor: principal.userID, entityType: "account", entityID: accountHash,
                                    clientID: locked.clientID, at: now,
                                    details: ["adopted_broker_books": String(adoptBrokerBooks),
                                              "differences": found.map { "\($0.symbol ?? "cash"): \($0.keel) -> \($0.broker)" }.joined(separator: "; ")])
            guard let updated = try await session.accounts.find(hash: accountHash) else { throw ServiceError.notFound("account \(accountHash)") }
            return updated
        }
    }
}
