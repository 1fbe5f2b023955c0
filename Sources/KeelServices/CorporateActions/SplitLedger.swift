import Foundation
import KeelCore
import KeelStore

/// Applies recorded splits to Keel's books once their ex-date has begun: every account's position of the symbol
/// (quantity × ratio, average cost ÷ ratio), its tax lots (quantities scale; basis and days stay), its open
/// round-trip trades, and the wash-sale shares still waiting for a replacement; a fraction of a share left is paid in
/// cash; batches planned in the old shares and not yet sent expire. One transaction per split, under the accounts'
/// locks, claimed by a conditional UPDATE so two processes (or two requests) apply it once. The paper broker's own
/// books follow the same splits on their own.
///
/// Called before anything reads or trades positions (reconciliation, a Schwab sync, planning, execution), so no
/// step sees old shares at new prices.
enum SplitLedger {
    /// The batches a split makes stale: planned in old shares and not sent. Batches in flight are the broker's to
    /// settle (a broker cancels orders waiting across a split).
    static let staleStatuses: [BatchStatus] = [.pendingApproval, .approved]

    struct Outcome: Sendable {
        var accountsAdjusted: Int
        var batchesExpired: Int
    }

    /// Applies every split due by now; returns what each one applied did (splits another process applied are left out).
    @discardableResult
    static func applyDue(context: ServiceContext) async throws -> [(CorporateActionRecord, Outcome)] {
        let now = context.clock.now()
        let due = try await context.database.read { try await $0.corporateActions.due(onOrBefore: CivilDay(now)) }
        var applied: [(CorporateActionRecord, Outcome)] = []
        for action in due {
            let outcome = try await context.database.write { session in
                try await apply(action, session: session, now: now)
            }
            if let outcome {
                applied.append((action, outcome))
                context.logger.info("applied the \(action.split): \(outcome.accountsAdjusted) account(s) adjusted, \(outcome.batchesExpired) batch(es) expired")
            }
        }
        return applied
    }

    /// One split on every account that holds the symbol, in the caller's transaction; nil when it was already applied.
    /// A fraction of a share the split leaves is paid in cash at the split's fixed price (`CashInLieuPricing`): the
    /// position keeps its whole shares, the cash is credited, and the fraction is sold from the lots by the client's
    /// method (a realised gain or loss on the ex-date) and closed from the open trades first in, first out.
    static func apply(_ action: CorporateActionRecord, session: Session, now: Date) async throws -> Outcome? {
        guard try await session.corporateActions.claim(actionID: action.actionID, at: now) else { return nil }
        let split = try await CashInLieuPricing.fix(action, session: session, now: now)
        let ratio = split.ratio
        guard ratio > 0 else { throw StoreError.corrupt("corporate action \(action.actionID) has no exact ratio") }
        let hashes = try await session.corporateActions.accountsHolding(split.symbol)
        let accounts = try await session.accounts.lock(hashes: hashes, in: session)

        let positions = try await session.ledger.positions(accountHashes: hashes)
        var scaled: [PositionRecord] = []
        var paidShares: [String: Decimal] = [:]
        var cash: [String: Decimal] = [:]
        for hash in hashes {
            for var position in positions[hash] ?? [] where position.symbol == split.symbol {
                let settled = split.settle(position.quantity)
                position.quantity = settled.kept
                position.averageCost = (position.averageCost / ratio).rounded(scale: 10)
                position.updatedAt = now
                scaled.append(position)
                if settled.paidShares > 0, let account = accounts[hash] {
                    paidShares[hash] = settled.paidShares
                    cash[hash] = (account.cash + settled.cash).roundedToCents
                }
            }
        }
        try await session.ledger.savePositions(scaled)
        try await session.accounts.setCash(cash, at: now)

        let identical = try await session.taxLots.identicalGroups()
        let lots = try await session.taxLots.lots(accountHashes: hashes)
        let losses = try await session.taxLots.openLosses(accountHashes: hashes, since: split.exDate.adding(days: -TaxLotBook.washWindowDays))
        let methods = try await session.taxPreferences.find(clientIDs: Array(Set(accounts.values.map(\.clientID)))).mapValues(\.lotMethod)
        var writes: [TaxLotRepository.Write] = []
        for hash in hashes {
            guard let account = accounts[hash] else { continue }
            var book = TaxLotBook(lots: lots[hash] ?? [], realized: losses[hash] ?? [], identical: identical)
            let before = book
            try book.split(symbol: split.symbol, ratio: ratio)
            if let paid = paidShares[hash], let price = split.cashInLieuPrice {
                try TaxLedger.sell(saleID: "\(action.actionID)-\(hash)", symbol: split.symbol, quantity: paid, price: price, fees: 0, on: split.exDate,
                                   from: &book, method: methods[account.clientID] ?? .fifo)
            }
            writes.append(TaxLedger.difference(book, from: before, accountHash: hash, clientID: account.clientID))
        }
        try await session.taxLots.save(writes)

        var trades: [TradeRecord] = []
        for (hash, open) in try await session.ledger.openTrades(accountHashes: hashes, symbols: [split.symbol]) {
            let inNewShares = open.map { trade in
                var trade = trade
                trade.quantity *= ratio
                trade.entryPrice = (trade.entryPrice / ratio).rounded(scale: 10)
                return trade
            }
            guard let paid = paidShares[hash], let price = split.cashInLieuPrice else { trades += inNewShares; continue }
            let (changed, stillOpen) = LedgerBook.close(inNewShares, quantity: paid, price: price, commission: 0, at: split.effectiveAt, orderID: nil)
            let changedIDs = Set(changed.map(\.tradeID))
            trades += stillOpen.filter { !changedIDs.contains($0.tradeID) } + changed
        }
        try await session.ledger.saveTrades(trades)

        let stale = try await session.batches.batchIDs(statuses: staleStatuses, withOrderOf: split.symbol)
        let expired = try await session.batches.transition(stale, from: staleStatuses, to: .expired, at: now,
                                                          setting: ["error": "planned before the \(split); regenerate it with a new rebalance"])

        let outcome = Outcome(accountsAdjusted: hashes.count, batchesExpired: expired.count)
        try await session.corporateActions.recordOutcome(actionID: action.actionID, accountsAdjusted: outcome.accountsAdjusted,
                                                         batchesExpired: outcome.batchesExpired)
        try await session.audit("corporate_action.split_applied", actor: "corporate_actions", entityType: "corporate_action",
                                entityID: action.actionID, clientID: nil, at: now,
                                details: ["split": split.description, "ratio": ratio.description, "accounts": String(outcome.accountsAdjusted),
                                          "batches_expired": expired.joined(separator: " "),
                                          "cash_in_lieu_price": split.cashInLieuPrice?.description ?? "none (fractions kept)",
                                          "cash_in_lieu_accounts": String(paidShares.count)])
        // One row per position, written with one statement.
        try await session.operations.append(try scaled.map { position in
            AuditEntry(at: now, actor: "corporate_actions", action: "position.split", entityType: "account", entityID: position.accountHash,
                       clientID: position.clientID,
                       details: try StoredJSON.encode(["split": split.description, "quantity": position.quantity.description,
                                                       "cash_in_lieu_shares": (paidShares[position.accountHash] ?? 0).description]))
        })
        return outcome
    }
}
