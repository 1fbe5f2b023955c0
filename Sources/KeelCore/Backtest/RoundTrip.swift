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
/// fills that shrink or flip it.
struct LotBook {
    struct Lot { var quantity: Double; var price: Double; var time: Date; var commission: Double }
    private(set) var lots: [Lot] = []

    init() { lots.reserveCapacity(4) }

    var position: Double { lots.reduce(0) { $0 + $1.quantity } }

    /// Applies a fill; appends the round trips it closes to `trips`.
    mutating func fill(symbol: String, quantity: Double, price: Double, commission: Double, time: Date, into trips: inout [RoundTrip]) {
        var remaining = quantity
        var commissionLeft = commission
        while remaining != 0, let first = lots.first, (first.quantity > 0) != (remaining > 0) {
            let closing = min(abs(remaining), abs(first.quantity))
            let share = closing / abs(quantity)
            let entryShare = first.commission * closing / abs(first.quantity)
            let signedClose = first.quantity > 0 ? closing : -closing
            trips.append(RoundTrip(symbol: symbol, entryTime: first.time, exitTime: time, quantity: signedClose, entryPrice: first.price,
                                   exitPrice: price, commission: entryShare + commission * share))
            commissionLeft -= commission * share
            if closing == abs(first.quantity) {
                lots.removeFirst()
            } else {
                lots[0].quantity -= signedClose
                lots[0].commission -= entryShare
            }
            remaining += remaining > 0 ? -closing : closing
        }
        if remaining != 0 { lots.append(Lot(quantity: remaining, price: price, time: time, commission: max(commissionLeft, 0))) }
    }
}
