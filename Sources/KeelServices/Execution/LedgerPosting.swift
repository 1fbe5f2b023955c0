import Foundation
import KeelCore
import KeelStore

/// Applies one fill to Keel's books: cash, the position (average cost includes commission), and the
/// round-trip trades (a buy opens a trade; a sell closes open trades first in, first out, splitting one
/// when it closes only part of it). Runs inside the caller's transaction, under the account's row lock.
enum LedgerPosting {
    static func apply(_ fill: FillRecord, account: AccountRecord, userID: String, strategyID: String?, session: Session, now: Date) async throws {
        // Read-modify-write of cash and the position under the account's row lock, taken first (the same
        // order as the planner and the executor): concurrent postings apply one after another instead of
        // overwriting each other, and cannot deadlock with them.
        guard let current = try await session.accounts.lock(hash: account.accountHash, in: session)?.cash else {
            throw ServiceError.notFound("account \(account.accountHash)")
        }
        guard try await !session.ledger.fillExists(fill.fillID) else { return }
        try await session.ledger.insertFill(fill)
        let gross = fill.quantity * fill.price
        let cash = fill.side == .buy ? current - gross - fill.commission : current + gross - fill.commission
        try await session.accounts.setCash(hash: account.accountHash, cash: cash.roundedToCents, at: now)

        let existing = try await session.ledger.position(accountHash: account.accountHash, symbol: fill.symbol)
        var position = existing ?? PositionRecord(accountHash: account.accountHash, clientID: account.clientID, userID: userID,
                                                  symbol: fill.symbol, quantity: 0, averageCost: 0, openedAt: fill.filledAt, updatedAt: now)
        switch fill.side {
        case .buy:
            let quantity = position.quantity + fill.quantity
            position.averageCost = ((position.quantity * position.averageCost + gross + fill.commission) / quantity).rounded(scale: 6)
            position.quantity = quantity
        case .sell:
            position.quantity -= fill.quantity
            if position.quantity < 0 {
                throw ServiceError.conflict("ledger_negative_position", "a sell of \(fill.quantity) \(fill.symbol) exceeds the ledger position")
            }
        }
        position.updatedAt = now
        try await session.ledger.savePosition(position)

        switch fill.side {
        case .buy:
            try await session.ledger.saveTrade(TradeRecord(
                tradeID: UUID().uuidString.lowercased(), userID: userID, strategyID: strategyID, clientID: account.clientID,
                accountHash: account.accountHash, symbol: fill.symbol, side: TradeSide.long.rawValue, quantity: fill.quantity, entryPrice: fill.price,
                fees: fill.commission, status: .open, entryTime: fill.filledAt, entryOrderID: fill.orderID))
        case .sell:
            try await closeTrades(fill, account: account, session: session)
        }
    }

    private static func closeTrades(_ fill: FillRecord, account: AccountRecord, session: Session) async throws {
        var remaining = fill.quantity
        for var trade in try await session.ledger.openTrades(accountHash: account.accountHash, symbol: fill.symbol) where remaining > 0 {
            let closing = min(remaining, trade.quantity)
            let entryFees = (trade.fees * closing / trade.quantity).roundedToCents
            let exitFees = (fill.commission * closing / fill.quantity).roundedToCents
            if closing < trade.quantity {
                // Keep the unclosed part open as its own trade with its share of the entry fees.
                var rest = trade
                rest.tradeID = UUID().uuidString.lowercased()
                rest.quantity = trade.quantity - closing
                rest.fees = trade.fees - entryFees
                try await session.ledger.saveTrade(rest)
            }
            trade.quantity = closing
            trade.fees = entryFees + exitFees
            trade.exitPrice = fill.price
            trade.exitTime = fill.filledAt
            trade.exitOrderID = fill.orderID
            trade.profitLoss = ((fill.price - trade.entryPrice) * closing - trade.fees).roundedToCents
            trade.status = .closed
            try await session.ledger.saveTrade(trade)
            remaining -= closing
        }
    }
}
