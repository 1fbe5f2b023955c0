import Foundation
import KeelCore
import KeelStore

/// One account's books in memory while fills are posted to it: cash, positions and open round-trip trades, and what
/// changed (to be written back by the caller). A buy opens a trade; a sell closes open trades first in, first out,
/// splitting one it closes only in part. Average cost includes commission. Pure: the single posting and the bulk
/// execution write back what the same code decided.
struct LedgerBook: Sendable {
    let accountHash: String
    let clientID: Int
    let userID: String
    private(set) var cash: Decimal
    /// The positions of the symbols the fills touch (absent: none held).
    private var positions: [String: PositionRecord]
    /// Open trades by symbol, oldest first.
    private var openTrades: [String: [TradeRecord]]
    private(set) var postedFills: [FillRecord] = []
    private(set) var touchedSymbols: [String] = []
    private var changedTrades: [String: TradeRecord] = [:]
    private var tradeOrder: [String] = []

    init(accountHash: String, clientID: Int, userID: String, cash: Decimal, positions: [PositionRecord], openTrades: [TradeRecord]) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.userID = userID
        self.cash = cash
        self.positions = Dictionary(positions.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        self.openTrades = Dictionary(grouping: openTrades, by: \.symbol)
    }

    /// The positions the posted fills changed (a zero quantity: closed, to be removed).
    var changedPositions: [PositionRecord] { touchedSymbols.compactMap { positions[$0] } }

    /// Trades opened, closed or split by the posted fills, in the order they changed.
    var changedTradeRecords: [TradeRecord] { tradeOrder.compactMap { changedTrades[$0] } }

    mutating func post(_ fill: FillRecord, strategyID: String?, now: Date) throws {
        let gross = fill.quantity * fill.price
        var position = positions[fill.symbol] ?? PositionRecord(accountHash: accountHash, clientID: clientID, userID: userID, symbol: fill.symbol,
                                                                quantity: 0, averageCost: 0, openedAt: fill.filledAt, updatedAt: now)
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
        cash = (fill.side == .buy ? cash - gross - fill.commission : cash + gross - fill.commission).roundedToCents
        position.updatedAt = now
        positions[fill.symbol] = position
        if !touchedSymbols.contains(fill.symbol) { touchedSymbols.append(fill.symbol) }
        postedFills.append(fill)
        switch fill.side {
        case .buy:
            let trade = TradeRecord(tradeID: UUID().uuidString.lowercased(), userID: userID, strategyID: strategyID, clientID: clientID,
                                    accountHash: accountHash, symbol: fill.symbol, side: TradeSide.long.rawValue, quantity: fill.quantity,
                                    entryPrice: fill.price, fees: fill.commission, status: .open, entryTime: fill.filledAt, entryOrderID: fill.orderID)
            openTrades[fill.symbol, default: []].append(trade)
            record(trade)
        case .sell:
            closeTrades(fill)
        }
    }

    private mutating func closeTrades(_ fill: FillRecord) {
        let (changed, stillOpen) = Self.close(openTrades[fill.symbol] ?? [], quantity: fill.quantity, price: fill.price,
                                              commission: fill.commission, at: fill.filledAt, orderID: fill.orderID)
        changed.forEach { record($0) }
        openTrades[fill.symbol] = stillOpen
    }

    /// Closes `quantity` shares of `open` (one symbol's open trades, oldest first) first in, first out, at `price`, with
    /// `commission` shared pro rata; a trade closed in part leaves its unclosed part open as a trade of its own with its
    /// share of the entry fees. Returns the trades changed (closed ones and new remainders, in that order per trade) and
    /// those still open.
    static func close(_ open: [TradeRecord], quantity: Decimal, price: Decimal, commission: Decimal, at time: Date,
                      orderID: String?) -> (changed: [TradeRecord], stillOpen: [TradeRecord]) {
        var remaining = quantity
        var changed: [TradeRecord] = []
        var stillOpen: [TradeRecord] = []
        for var trade in open {
            guard remaining > 0 else { stillOpen.append(trade); continue }
            let closing = min(remaining, trade.quantity)
            let entryFees = (trade.fees * closing / trade.quantity).roundedToCents
            let exitFees = (commission * closing / quantity).roundedToCents
            if closing < trade.quantity {
                // Keep the unclosed part open as its own trade with its share of the entry fees.
                var rest = trade
                rest.tradeID = UUID().uuidString.lowercased()
                rest.quantity = trade.quantity - closing
                rest.fees = trade.fees - entryFees
                stillOpen.append(rest)
                changed.append(rest)
            }
            trade.quantity = closing
            trade.fees = entryFees + exitFees
            trade.exitPrice = price
            trade.exitTime = time
            trade.exitOrderID = orderID
            trade.profitLoss = ((price - trade.entryPrice) * closing - trade.fees).roundedToCents
            trade.status = .closed
            changed.append(trade)
            remaining -= closing
        }
        return (changed, stillOpen)
    }

    private mutating func record(_ trade: TradeRecord) {
        if changedTrades[trade.tradeID] == nil { tradeOrder.append(trade.tradeID) }
        changedTrades[trade.tradeID] = trade
    }

    /// Writes what the posted fills changed, in the caller's transaction under the accounts' locks: fills, cash,
    /// positions, trades and tax lots of every book with one multi-row statement per kind.
    static func write(_ books: [LedgerBook], session: Session, now: Date) async throws {
        let changed = books.filter { !$0.postedFills.isEmpty }
        guard !changed.isEmpty else { return }
        try await session.ledger.insertFills(changed.flatMap(\.postedFills))
        try await session.accounts.setCash(Dictionary(changed.map { ($0.accountHash, $0.cash) }, uniquingKeysWith: { _, last in last }), at: now)
        try await session.ledger.savePositions(changed.flatMap(\.changedPositions))
        try await session.ledger.saveTrades(changed.flatMap(\.changedTradeRecords))
        try await TaxLedger.post(changed.flatMap(\.postedFills), clientIDs: Dictionary(changed.map { ($0.accountHash, $0.clientID) }, uniquingKeysWith: { first, _ in first }),
                                 session: session)
    }
}
