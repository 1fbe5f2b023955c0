import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Brings Keel's books of a Schwab account in line with Schwab's: cash and positions are Schwab's truth for
/// a live account. Runs on link and before each rebalance; every difference it corrects is audited.
public struct SchwabAccountSync: Sendable {
    let context: ServiceContext
    let broker: any Broker

    public init(context: ServiceContext, broker: any Broker) {
        self.context = context
        self.broker = broker
    }

    /// Returns how many values changed.
    @discardableResult
    public func sync(_ account: AccountRecord) async throws -> Int {
        let snapshot: BrokerAccountSnapshot
        do {
            snapshot = try await broker.accountSnapshot(accountID: account.accountHash)
        } catch {
            throw ServiceError(.unavailable, code: "schwab_unavailable", message: "could not read account \(account.accountHash) at Schwab: \(error)")
        }
        let now = context.clock.now()
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
            return changes.count
        }
    }
}
