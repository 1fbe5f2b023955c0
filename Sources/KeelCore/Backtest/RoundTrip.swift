import Foundation

/// One closed position: entry, exit and what it earned after commissions.
public struct RoundTrip: Sendable, Hashable, Codable {
    public var symbol: String
    public var entryTime: Date
    public var exitTime: Date
    /// Signed: positive long, negative short.
    public var quantity: Double
    public var entryPrice: Double
    public var exitPrice: Double
    public var commission: Double
    public var profitLoss: Double

    public init(symbol: String, entryTime: Date, exitTime: Date, quantity: Double, entryPrice: Double, exitPrice: Double, commission: Double) {
        self.symbol = symbol
        self.entryTime = entryTime
        self.exitTime = exitTime
        self.quantity = quantity
        self.entryPrice = entryPrice
        self.exitPrice = exitPrice
        self.commission = commission
        self.profitLoss = (exitPrice - entryPrice) * quantity - commission
    }
}

/// First-in-first-out lots of one symbol: opens on fills that grow the position, closes round trips on
/// fills that shrink or flip it. Lots live in one array with a moving head, so closing the oldest lot
/// shifts nothing (a strategy that flips thousands of times stays cheap).
@usableFromInline
struct LotBook {
    struct Lot { var quantity: Double; var price: Double; var time: Date; var commission: Double }
    /// Open lots are `lots[head..<count]`; the storage beyond `count` is reused, so a book that goes flat and opens
    /// again (a crossover, thousands of times) neither shrinks nor reallocates.
    private var lots: [Lot] = []
    private var head = 0
    private var count = 0

    @usableFromInline init() {}

    var position: Double {
        var total = 0.0
        for i in head..<count { total += lots[i].quantity }
        return total
    }

    /// Applies a fill; appends the round trips it closes to `trips`.
    @usableFromInline mutating func fill(symbol: String, quantity: Double, price: Double, commission: Double, time: Date, into trips: inout [RoundTrip]) {
        var remaining = quantity
        var commissionLeft = commission
        while remaining != 0, head < count, (lots[head].quantity > 0) != (remaining > 0) {
            let first = lots[head]
            let closing = min(abs(remaining), abs(first.quantity))
            let share = closing / abs(quantity)
            let entryShare = first.commission * closing / abs(first.quantity)
            let signedClose = first.quantity > 0 ? closing : -closing
            trips.append(RoundTrip(symbol: symbol, entryTime: first.time, exitTime: time, quantity: signedClose, entryPrice: first.price,
                                   exitPrice: price, commission: entryShare + commission * share))
            commissionLeft -= commission * share
            if closing == abs(first.quantity) {
                head += 1
            } else {
                lots[head].quantity -= signedClose
                lots[head].commission -= entryShare
            }
            remaining += remaining > 0 ? -closing : closing
        }
        if head == count {
            // Flat: reuse the storage from the start.
            head = 0
            count = 0
        }
        if remaining != 0 {
            let lot = Lot(quantity: remaining, price: price, time: time, commission: max(commissionLeft, 0))
            if count < lots.count { lots[count] = lot } else { lots.append(lot) }
            count += 1
        }
    }
}
