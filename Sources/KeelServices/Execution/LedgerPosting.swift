import Foundation
import KeelCore
import KeelStore

/// Applies one fill to Keel's books (see `LedgerBook` for the rules). Runs inside the caller's transaction, under the
/// account's row lock.
enum LedgerPosting {
    static func apply(_ fill: FillRecord, account: AccountRecord, userID: String, strategyID: String?, session: Session, now: Date) async throws {
        // Read-modify-write of cash and the position under the account's row lock, taken first (the same
        // order as the planner and the executor): concurrent postings apply one after another instead of
        // overwriting each other, and cannot deadlock with them.
        guard let current = try await session.accounts.lock(hash: account.accountHash, in: session)?.cash else {
            throw ServiceError.notFound("account \(account.accountHash)")
        }
        guard try await !session.ledger.fillExists(fill.fillID) else { return }
        let position = try await session.ledger.position(accountHash: account.accountHash, symbol: fill.symbol)
        let trades = fill.side == .sell ? try await session.ledger.openTrades(accountHash: account.accountHash, symbol: fill.symbol) : []
        var book = LedgerBook(accountHash: account.accountHash, clientID: account.clientID, userID: userID, cash: current,
                              positions: position.map { [$0] } ?? [], openTrades: trades)
        try book.post(fill, strategyID: strategyID, now: now)
        try await LedgerBook.write([book], session: session, now: now)
    }
}
