import Foundation

/// A trade from a broker's own history (Schwab's transactions), as the lots of an opening position are rebuilt from it.
public struct HistoricalTrade: Sendable, Hashable {
    public var tradeID: String
    /// The broker's order, so Keel's own orders (already in the lot ledger through their fills) are told apart.
    public var orderID: String?
    public var symbol: String
    public var side: OrderSide
    /// Shares, positive for both sides.
    public var quantity: Decimal
    public var price: Decimal
    public var fees: Decimal
    public var day: CivilDay

    public init(tradeID: String, orderID: String?, symbol: String, side: OrderSide, quantity: Decimal, price: Decimal, fees: Decimal, day: CivilDay) {
        self.tradeID = tradeID
        self.orderID = orderID
        self.symbol = symbol
        self.side = side
        self.quantity = quantity
        self.price = price
        self.fees = fees
        self.day = day
    }
}

/// The lots of shares a linked account brought with it, from the broker's trade history where it reaches: the
/// history is replayed first in, first out (the broker's default method; wash sales inside it carried as the lot book
/// carries them) and the newest lots still held are the position's, each with its own purchase day and cost. Shares
/// the history does not explain (bought before it starts, transferred in) become one lot on the day the position was
/// first seen, at the basis the broker's average cost leaves for them, or an unknown basis when it gives none.
public enum OpeningLots {
    public static func lots(symbol: String, missing: Decimal, position: Holding, openedOn: CivilDay, history: [HistoricalTrade],
                            lotPrefix: String) -> [TaxLot] {
        guard missing > 0 else { return [] }
        var book = TaxLotBook()
        // A day's purchases before its sales: the history gives days, not times, and a sale cannot sell shares not yet held.
        for trade in history.filter({ $0.symbol == symbol && $0.quantity > 0 && $0.price >= 0 }).sorted(by: { ($0.day, $0.side == .sell ? 1 : 0) < ($1.day, $1.side == .sell ? 1 : 0) }) {
            switch trade.side {
            case .buy:
                _ = try? book.buy(lotID: trade.tradeID, symbol: symbol, quantity: trade.quantity, price: trade.price, fees: trade.fees, on: trade.day)
            case .sell:
                // A sale of shares bought before the history starts sells what the history holds, no more.
                let held = book.held(symbol)
                guard held > 0 else { continue }
                let quantity = min(trade.quantity, held)
                _ = try? book.sell(saleID: trade.tradeID, symbol: symbol, quantity: quantity, price: trade.price,
                                   fees: trade.fees * quantity / trade.quantity, on: trade.day)
            }
        }
        var lots: [TaxLot] = []
        var left = missing
        // Newest first: shares the history holds beyond the position left by sales it does not show, oldest first.
        for lot in book.lots.sorted(by: { ($0.acquiredOn, $0.lotID) > ($1.acquiredOn, $1.lotID) }) where left > 0 {
            var taken = lot
            taken.lotID = lotPrefix + lot.lotID
            if lot.quantity > left {
                let share = left / lot.quantity
                taken.quantity = left
                taken.costBasis = lot.costBasis * share
                taken.washAdjustment = lot.washAdjustment * share
                taken.replacementShares = min(lot.replacementShares, left)
            }
            left -= taken.quantity
            lots.append(taken)
        }
        guard left > 0 else { return lots }
        // The rest: what the broker's average cost over the position leaves once the history's lots are taken out (the
        // whole position is missing), or the average cost itself when Keel holds lots of the name too.
        let explained = lots.reduce(Decimal(0)) { $0 + $1.costBasis }
        var basis = position.averageCost * left
        if missing == position.quantity, position.averageCost > 0 {
            let rest = position.averageCost * position.quantity - explained
            if rest > 0 { basis = rest }
        }
        let known = position.averageCost > 0
        lots.append(TaxLot(lotID: lotPrefix + "before-history", symbol: symbol, acquiredOn: openedOn, quantity: left,
                           costBasis: known ? basis : 0, basisKnown: known))
        return lots
    }
}
