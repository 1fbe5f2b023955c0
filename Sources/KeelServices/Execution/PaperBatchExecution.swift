import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Approved batches of paper accounts executed as a set (the autonomous cycle's chunks): the same rules as one batch
/// at a time (DESIGN.md section 6), in three transactions for the whole set instead of three per order.
///
/// 1. Claim, under the accounts' locks (in hash order): each batch's books read again, the switches, the in-flight
///    batches and the pre-trade checks taken; the batches that pass move to executing and every one of their orders'
///    intent (submitting) is committed, with the audit. Nothing has reached the broker yet.
/// 2. The paper broker decides every order in one transaction of its own books (each account's orders in sequence,
///    on the cash the earlier ones left).
/// 3. Every call recorded, the fills posted to the ledger, the orders and the batches settled, in one transaction.
///
/// A crash after 1 leaves submitting orders that the broker never saw (reconciliation cancels them, nothing is
/// re-sent); after 2, orders the broker holds that reconciliation reads back by client order key; an error from the
/// broker's transaction leaves every order of unknown fate, settled by reconciliation the same way.
extension ExecutionService {
    /// What became of one batch of the set.
    public enum SetExecution: Sendable {
        /// Executed; the status the batch ended in.
        case done(BatchStatus)
        /// Refused before anything was sent (the error the single path would give).
        case refused(ServiceError)
        /// Not for the set path (another broker, a dry-run-only client, a batch no longer approved...): execute it on
        /// its own, which gives the single path's answer.
        case alone
    }

    public func executeOnPaper(_ batchIDs: [String], by principal: Principal) async throws -> [String: SetExecution] {
        try principal.ensureStaff()
        try await SplitLedger.applyDue(context: context)
        var results: [String: SetExecution] = [:]
        let candidates = try await paperCandidates(batchIDs, results: &results)
        guard !candidates.isEmpty else { return results }

        let symbols = Array(Set(candidates.values.flatMap { $0.orders.map(\.symbol) })).sorted()
        let quotes: [String: Decimal]
        do {
            quotes = try await brokers.paper.quotes(symbols: symbols, accountID: "").mapValues(\.last)
        } catch {
            let refusal = ServiceError(.unavailable, code: "broker_unavailable", message: "paper could not price the orders; nothing was sent: \(error)")
            for id in candidates.keys { results[id] = .refused(refusal) }
            return results
        }
        let claimed = try await claim(candidates, quotes: quotes, by: principal, results: &results)
        guard !claimed.isEmpty else { return results }

        let started = context.clock.now()
        let requests = claimed.flatMap { batch in
            batch.orders.map { BrokerOrderRequest(accountID: batch.accountHash, clientOrderKey: $0.clientOrderKey, symbol: $0.symbol, side: $0.side, quantity: $0.quantity) }
        }
        var outcomes: [String: OrderOutcome] = [:]
        do {
            let placed = try await brokers.paper.placeOrders(requests)
            for request in requests {
                outcomes[request.clientOrderKey] = placed[request.clientOrderKey].map(OrderOutcome.answered) ?? .refused("unknown account \(request.accountID)")
            }
        } catch {
            // The broker's transaction may have committed before the error reached us: nothing is known, nothing re-sent.
            for request in requests { outcomes[request.clientOrderKey] = .unknown(String(describing: error)) }
        }
        // One call placed them all: each order's record carries the call's duration.
        let elapsed = Int(context.clock.now().timeIntervalSince(started) * 1000)
        let settled = try await settle(claimed, outcomes: outcomes, durationMilliseconds: elapsed, by: principal)
        for (batchID, status) in settled {
            results[batchID] = .done(status)
            KeelMetrics.batchExecuted(status: status.rawValue, seconds: context.clock.now().timeIntervalSince(started))
        }
        try await cancelIfKillSwitchEngaged(claimed, by: principal)
        await remeasureGoals(claimed)
        return results
    }

    /// The batches the set path takes: approved, content as approved, of an active paper account whose client trades
    /// on paper. The others are marked `alone`.
    private func paperCandidates(_ batchIDs: [String], results: inout [String: SetExecution]) async throws -> [String: BatchRecord] {
        let (batches, accounts, preferences) = try await context.database.read { session in
            let batches = try await session.batches.find(batchIDs)
            let accounts = try await session.accounts.find(hashes: Array(Set(batches.values.map(\.accountHash))))
            let preferences = try await session.preferences.find(clientIDs: Array(Set(batches.values.map(\.clientID))))
            return (batches, accounts, preferences)
        }
        var candidates: [String: BatchRecord] = [:]
        for id in batchIDs {
            guard let batch = batches[id], batch.status == .approved, let account = accounts[batch.accountHash], account.brokerage.code == "paper",
                  account.status == .active, preferences[batch.clientID]?.tradingMode == .paper,
                  batch.approvedHash == batch.contentHash, BatchContentHash.compute(accountHash: batch.accountHash, orders: batch.orders) == batch.contentHash
            else {
                results[id] = .alone
                continue
            }
            candidates[id] = batch
        }
        return candidates
    }

    /// Step 1: under the accounts' locks, the checks and the claim; returns the batches claimed (executing, intents
    /// committed).
    private func claim(_ candidates: [String: BatchRecord], quotes: [String: Decimal], by principal: Principal,
                       results: inout [String: SetExecution]) async throws -> [BatchRecord] {
        let now = context.clock.now()
        let brokers = self.brokers, limits = context.settings.riskLimits
        let (claimed, refused) = try await context.database.write { session -> ([BatchRecord], [String: SetExecution]) in
            let hashes = Array(Set(candidates.values.map(\.accountHash))).sorted()
            let accounts = try await session.accounts.lock(hashes: hashes, in: session)
            let batches = try await session.batches.find(Array(candidates.keys))
            let clients = try await session.clients.find(ids: Array(Set(candidates.values.map(\.clientID))))
            let preferences = try await session.preferences.find(clientIDs: Array(Set(candidates.values.map(\.clientID))))
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let busy = try await session.batches.list(accountHashes: hashes, statuses: BatchStatus.inFlight)
            let (killSwitch, paused) = try await session.operations.tradingStops()
            let orderSymbols = Array(Set(candidates.values.flatMap { $0.orders.map(\.symbol) })).sorted()
            let tradable = Set(try await session.referenceData.instruments(orderSymbols).values.filter(\.tradable).map(\.symbol))
            let held = Set(positions.values.flatMap { $0.map(\.symbol) })
            let prices = try await session.marketBars.latestPrices(symbols: Array(held.union(orderSymbols)).sorted()).compactMapValues { Decimal(exactly: $0.close) }

            var refused: [String: SetExecution] = [:], expired: [BatchRecord] = [], blocked: [(BatchRecord, [RiskViolation])] = []
            var passing: [BatchRecord] = []
            for (id, batch) in candidates.sorted(by: { $0.key < $1.key }) {
                // Read again under the lock: another executor, an advisor or a newer plan may have moved it.
                guard let current = batches[id], current.status == .approved, let account = accounts[batch.accountHash],
                      let client = clients[batch.clientID], let prefs = preferences[batch.clientID] else {
                    refused[id] = .alone
                    continue
                }
                if let deadline = current.approvalExpiresAt, deadline <= now {
                    expired.append(current)
                    continue
                }
                if let other = busy[batch.accountHash]?.first(where: { $0.batchID != id }) {
                    refused[id] = .refused(.conflict("execution_in_progress", "batch \(other.batchID) of this account is \(other.status.rawValue); wait for it to finish"))
                    continue
                }
                let snapshot = PortfolioSnapshot(cash: account.cash, holdings: (positions[batch.accountHash] ?? []).map(\.holding), prices: prices)
                let books = Books(batch: current, account: account, client: client, preferences: prefs, killSwitch: killSwitch, paused: paused,
                                  snapshot: snapshot, tradable: tradable)
                let violations = books.violations(mode: .paper, quotes: quotes, brokers: brokers, limits: limits)
                if !violations.isEmpty {
                    blocked.append((current, violations))
                    refused[id] = .refused(Self.riskError(violations))
                    continue
                }
                passing.append(current)
            }

            var audit: [AuditEntry] = []
            for batch in expired {
                let deadline = batch.approvalExpiresAt ?? now
                if try await session.batches.transition(batch.batchID, from: [.approved], to: .expired, at: now,
                                                        setting: ["error": "approval window ended at \(ISO8601DateFormatter().string(from: deadline))"]) {
                    audit.append(try Self.auditEntry("batch.expire", actor: "system", batch: batch, at: now, details: [:]))
                }
                refused[batch.batchID] = .refused(.conflict("approval_expired", "batch \(batch.batchID) expired; regenerate it with a new rebalance"))
            }
            for (batch, violations) in blocked {
                let summary = violations.map { "\($0.rule.rawValue): \($0.message)" }.joined(separator: "; ")
                audit.append(try Self.auditEntry("batch.execute.blocked", actor: principal.userID, batch: batch, at: now,
                                                 details: ["violations": summary, "mode": TradingMode.paper.rawValue]))
            }
            let moved = Set(try await session.batches.transition(passing.map(\.batchID), from: [.approved], to: .executing, at: now, setting: [
                "execution_mode": TradingMode.paper.rawValue, "executed_by": principal.userID, "execution_started_at": now,
            ]))
            var claimed: [BatchRecord] = []
            for var batch in passing where moved.contains(batch.batchID) {
                batch.status = .executing
                // Rule 1: every intent is durable before the broker hears of any of them.
                batch.orders = batch.orders.map { order in
                    var intent = order
                    intent.status = .submitting
                    intent.submittedAt = now
                    intent.updatedAt = now
                    return intent
                }
                claimed.append(batch)
                audit.append(try Self.auditEntry("batch.execute.start", actor: principal.userID, batch: batch, at: now,
                                                 details: ["mode": TradingMode.paper.rawValue]))
            }
            try await session.batches.saveOrders(claimed.flatMap(\.orders))
            try await session.operations.append(audit)
            return (claimed, refused)
        }
        results.merge(refused) { _, new in new }
        return claimed
    }

    /// Step 3: every call recorded, fills posted, orders and batches settled, in one transaction under the accounts'
    /// locks (then the orders', then the batches', the order every other writer of them keeps).
    private func settle(_ claimed: [BatchRecord], outcomes: [String: OrderOutcome], durationMilliseconds: Int,
                        by principal: Principal) async throws -> [String: BatchStatus] {
        let now = context.clock.now()
        return try await context.database.write { session in
            let hashes = Array(Set(claimed.map(\.accountHash))).sorted()
            var calls: [BrokerCallRecord] = []
            for batch in claimed {
                for order in batch.orders {
                    guard let outcome = outcomes[order.clientOrderKey] else { continue }
                    calls.append(outcome.callRecord(for: order, accountHash: batch.accountHash, broker: "paper", operation: "place_order",
                                                    durationMilliseconds: durationMilliseconds, at: now))
                }
            }
            try await session.operations.record(calls)

            let accounts = try await session.accounts.lock(hashes: hashes, in: session)
            let clients = try await session.clients.find(ids: Array(Set(claimed.map(\.clientID))))
            // Each order's fills, derived once from its outcome.
            var fillsByOrder: [String: [FillRecord]] = [:]
            for batch in claimed {
                for order in batch.orders {
                    fillsByOrder[order.orderID] = outcomes[order.clientOrderKey]?.fills(of: order, accountHash: batch.accountHash, at: now) ?? []
                }
            }
            let fills = fillsByOrder.values.flatMap { $0 }
            let posted = try await session.ledger.existingFillIDs(fills.map(\.fillID))
            let positions = try await session.ledger.positions(accountHashes: hashes)
            let sold = fills.filter { $0.side == .sell }
            let trades = try await session.ledger.openTrades(accountHashes: Array(Set(sold.map(\.accountHash))), symbols: sold.map(\.symbol))
            var books: [String: LedgerBook] = [:]
            for hash in hashes {
                guard let account = accounts[hash], let client = clients[account.clientID] else { throw ServiceError.notFound("account \(hash)") }
                books[hash] = LedgerBook(accountHash: hash, clientID: account.clientID, userID: client.tradingUserID, cash: account.cash,
                                         positions: positions[hash] ?? [], openTrades: trades[hash] ?? [])
            }
            let stored = try await session.batches.ordersForUpdate(claimed.flatMap { $0.orders.map(\.orderID) }, in: session)
            var updates: [BatchOrderRecord] = [], settledBatches: [BatchRecord] = []
            for var batch in claimed {
                for (index, order) in batch.orders.enumerated() {
                    guard let outcome = outcomes[order.clientOrderKey] else { continue }
                    for fill in fillsByOrder[order.orderID] ?? [] where !posted.contains(fill.fillID) {
                        try books[batch.accountHash]!.post(fill, strategyID: batch.strategy, now: now)
                    }
                    let updated = outcome.settled(order, at: now)
                    if let kept = stored[order.orderID], OrderOutcome.keeps(stored: kept, over: updated) {
                        batch.orders[index] = kept
                    } else {
                        batch.orders[index] = updated
                        updates.append(updated)
                    }
                }
                settledBatches.append(batch)
            }
            try await LedgerBook.write(Array(books.values), session: session, now: now)
            try await session.batches.saveOrders(updates)
            for order in updates { KeelMetrics.order(broker: "paper", status: order.status.rawValue) }
            return try await Self.finish(settledBatches, session: session, by: principal.userID, at: now)
        }
    }

    /// Sets each batch's final status from its orders, as `BatchSettlement.finish` does for one: batches that settle
    /// alike (same status, no error text) move with one statement.
    private static func finish(_ batches: [BatchRecord], session: Session, by actor: String, at now: Date) async throws -> [String: BatchStatus] {
        let locked = try await session.batches.findForUpdate(batches.map(\.batchID), in: session)
        var alike: [BatchStatus: [String]] = [:], statuses: [String: BatchStatus] = [:], audit: [AuditEntry] = []
        for batch in batches {
            guard let current = locked[batch.batchID], BatchStatus.inFlight.contains(current.status) else {
                statuses[batch.batchID] = locked[batch.batchID]?.status
                continue
            }
            let (status, columns, details) = BatchSettlement.settlement(of: batch, at: now)
            if columns["error"] == nil {
                alike[status, default: []].append(batch.batchID)
            } else {
                _ = try await session.batches.transition(batch.batchID, from: BatchStatus.inFlight, to: status, at: now, setting: columns)
            }
            statuses[batch.batchID] = status
            audit.append(try auditEntry("batch.execute.finish", actor: actor, batch: batch, at: now, details: details))
        }
        for (status, ids) in alike.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let columns: [String: any Encodable & Sendable] = BatchStatus.inFlight.contains(status) ? [:] : ["executed_at": now]
            _ = try await session.batches.transition(ids, from: BatchStatus.inFlight, to: status, at: now, setting: columns)
        }
        try await session.operations.append(audit)
        return statuses
    }

    /// Orders left working while the kill switch came on (its sweep may have run before they were placed) are
    /// cancelled at the broker, as the single path does.
    private func cancelIfKillSwitchEngaged(_ claimed: [BatchRecord], by principal: Principal) async throws {
        guard try await context.database.read({ try await $0.operations.state(.killSwitch) }) == "engaged" else { return }
        let (batches, accounts, clients) = try await context.database.read { session in
            (try await session.batches.find(claimed.map(\.batchID)), try await session.accounts.find(hashes: claimed.map(\.accountHash)),
             try await session.clients.find(ids: claimed.map(\.clientID)))
        }
        let cancellation = OrderCancellation(context: context)
        for batch in batches.values.sorted(by: { $0.batchID < $1.batchID }) {
            guard let account = accounts[batch.accountHash], let client = clients[batch.clientID] else { continue }
            let working = batch.orders.filter { $0.status == .working || $0.status == .partiallyFilled }
            guard !working.isEmpty else { continue }
            for order in working {
                _ = try await cancellation.cancel(order, batch: batch, account: account, client: client, broker: brokers.paper,
                                                  actor: principal.userID, reason: "kill switch")
            }
            try await BatchSettlement(context: context).settleIfResolved(batchID: batch.batchID, clientID: batch.clientID, by: principal.userID)
        }
    }

    /// Derived data: the batches are final whatever happens here; the next trigger re-measures.
    private func remeasureGoals(_ claimed: [BatchRecord]) async {
        guard let goals else { return }
        do {
            let (accounts, clients) = try await context.database.read { session in
                (try await session.accounts.find(hashes: claimed.map(\.accountHash)), try await session.clients.find(ids: claimed.map(\.clientID)))
            }
            let touched = accounts.values.sorted { $0.accountHash < $1.accountHash }.map { ($0, clients[$0.clientID]?.tradingUserID) }
            try await goals.reevaluate(touching: touched, trigger: "batch_executed")
        } catch {
            context.logger.warning("goal progress after \(claimed.count) batch(es) could not be updated: \(error)")
        }
    }

    static func auditEntry(_ action: String, actor: String, batch: BatchRecord, at now: Date, details: [String: String]) throws -> AuditEntry {
        AuditEntry(at: now, actor: actor, action: action, entityType: "batch", entityID: batch.batchID, clientID: batch.clientID,
                   details: try StoredJSON.encode(details))
    }
}
