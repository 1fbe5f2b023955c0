import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Brings Keel's books of a Schwab account in line with Schwab's: cash and positions are Schwab's truth for
/// a live account. Runs on link and before each rebalance; every difference it corrects is audited.
public struct SchwabAccountSync: Sendable {
    let context: ServiceContext
    let broker: any Broker

    /// How far back Schwab's trade history is read for the lots of shares an account brought with it.
    public var historyYears = 5

    public init(context: ServiceContext, broker: any Broker) {
        self.context = context
        self.broker = broker
    }

    /// Returns how many values changed. Callers apply the splits due first (`SplitLedger.applyDue`, once for all the
    /// accounts they sync): Schwab's books hold a split's new shares from its ex-date, and Keel's lots must too, or they
    /// would look short and be opened again from the history.
    @discardableResult
    public func sync(_ account: AccountRecord) async throws -> Int {
        let snapshot: BrokerAccountSnapshot
        do {
            snapshot = try await broker.accountSnapshot(accountID: account.accountHash)
        } catch {
            throw ServiceError(.unavailable, code: "schwab_unavailable", message: "could not read account \(account.accountHash) at Schwab: \(error)")
        }
        let now = context.clock.now()
        let history = await historyForUnlottedShares(account, snapshot: snapshot, now: now)
        return try await context.database.write { session in
            var changes: [String: String] = [:]
            let current = try await session.accounts.lock(hash: account.accountHash, in: session)?.cash ?? account.cash
            if current != snapshot.cash {
                changes["cash"] = "\(current) -> \(snapshot.cash)"
                try await session.accounts.setCash(hash: account.accountHash, cash: snapshot.cash, at: now)
            }
            let held = Dictionary(uniqueKeysWithValues: try await session.ledger.positions(accountHash: account.accountHash).map { ($0.symbol, $0) })
            let client = try await session.clients.find(account.clientID)
            for position in snapshot.positions {
                let existing = held[position.symbol]
                guard existing?.quantity != position.quantity || existing?.averageCost != position.averageCost else { continue }
                changes[position.symbol] = "\(existing?.quantity ?? 0) -> \(position.quantity)"
                try await session.ledger.savePosition(PositionRecord(
                    accountHash: account.accountHash, clientID: account.clientID, userID: client?.userID, symbol: position.symbol,
                    quantity: position.quantity, averageCost: position.averageCost, openedAt: existing?.openedAt ?? now, updatedAt: now))
                try await session.referenceData.ensureInstruments([Instrument(symbol: position.symbol, assetClass: .inferred(fromSymbol: position.symbol), name: position.symbol)])
            }
            for (symbol, existing) in held where !snapshot.positions.contains(where: { $0.symbol == symbol }) {
                changes[symbol] = "\(existing.quantity) -> 0"
                var closed = existing
                closed.quantity = 0
                try await session.ledger.savePosition(closed)
            }
            if !changes.isEmpty {
                try await session.audit("schwab.sync", actor: "schwab", entityType: "account", entityID: account.accountHash,
                                        clientID: account.clientID, at: now, details: changes)
            }
            if let history {
                try await Self.openLots(account, positions: snapshot.positions, openedAt: held.mapValues(\.openedAt), history: history,
                                        session: session, now: now)
            }
            return changes.count
        }
    }

    /// Schwab's trades (less Keel's own orders) when Schwab holds shares no lot of Keel's holds yet (an account just
    /// linked, shares bought outside Keel); nil when none is missing or the history cannot be read (then reconciliation
    /// opens those lots at Schwab's average cost, as for any broker without a history).
    func historyForUnlottedShares(_ account: AccountRecord, snapshot: BrokerAccountSnapshot, now: Date) async -> [HistoricalTrade]? {
        do {
            let (held, ours) = try await context.database.read { session in
                (try await session.taxLots.heldQuantities(accountHashes: [account.accountHash])[account.accountHash] ?? [:],
                 try await session.batches.claimedBrokerOrderIDs(accountHash: account.accountHash))
            }
            guard snapshot.positions.contains(where: { $0.quantity > (held[$0.symbol] ?? 0) }) else { return nil }
            let start = Calendar(identifier: .gregorian).date(byAdding: .year, value: -historyYears, to: now) ?? now
            return try await broker.tradeHistory(accountID: account.accountHash, from: start).filter { trade in
                trade.orderID.map { !ours.contains($0) } ?? true
            }
        } catch {
            context.logger.warning("the trade history of \(account.accountHash) could not be read for its tax lots: \(error)")
            return nil
        }
    }

    /// Under the account's lock (taken by the sync): lots for the shares each position holds beyond its lots, from the
    /// history where it reaches (`OpeningLots`), in the sync's transaction; audited with what the history explained.
    static func openLots(_ account: AccountRecord, positions: [Holding], openedAt: [String: Date], history: [HistoricalTrade],
                         session: Session, now: Date) async throws {
        let held = try await session.taxLots.heldQuantities(accountHashes: [account.accountHash])[account.accountHash] ?? [:]
        var lots: [TaxLot] = []
        var details: [String: String] = [:]
        for position in positions.sorted(by: { $0.symbol < $1.symbol }) {
            let missing = position.quantity - (held[position.symbol] ?? 0)
            guard missing > 0 else { continue }
            let opened = openedAt[position.symbol] ?? now
            let made = OpeningLots.lots(symbol: position.symbol, missing: missing, position: position, openedOn: CivilDay(opened), history: history,
                                        lotPrefix: "history-\(account.accountHash)-\(Int(now.timeIntervalSince1970))-\(position.symbol)-")
            let fromHistory = made.filter { !$0.lotID.hasSuffix("before-history") }.reduce(Decimal(0)) { $0 + $1.quantity }
            details[position.symbol] = "\(missing) shares: \(fromHistory) from Schwab's trade history in \(made.count) lots"
            lots += made
        }
        guard !lots.isEmpty else { return }
        try await session.taxLots.save([TaxLotRepository.Write(accountHash: account.accountHash, clientID: account.clientID, lots: lots,
                                                               closedLotIDs: [], realized: [])])
        try await session.audit("tax.lots_from_history", actor: "schwab", entityType: "account", entityID: account.accountHash,
                                clientID: account.clientID, at: now, details: details)
    }
}
