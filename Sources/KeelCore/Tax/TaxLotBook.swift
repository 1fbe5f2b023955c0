import Foundation

/// One account's tax lots and what its sales realised, kept by the rules of the US lot accounting: buys open lots,
/// sells consume them by the chosen method, splits rescale them, and the wash-sale rule disallows a loss when
/// identical shares are bought within 30 days before or after the loss sale (the loss is added to the replacement
/// shares' basis and the sold shares' holding period is added to theirs). Pure: the database stores its lots and
/// realised rows, the backtest replays with the same code.
public struct TaxLotBook: Sendable {
    /// Open lots, in the order they were opened.
    public private(set) var lots: [TaxLot]
    /// Everything realised, oldest first (a later purchase may still add a wash-sale disallowance to a row).
    public private(set) var realized: [RealizedLot]
    public var identical: SubstantiallyIdentical
    /// The wash-sale window on each side of a loss sale, in calendar days.
    public static let washWindowDays = 30

    public init(lots: [TaxLot] = [], realized: [RealizedLot] = [], identical: SubstantiallyIdentical = .init()) {
        self.lots = lots
        self.realized = realized
        self.identical = identical
    }

    public enum LotError: Error, Equatable, CustomStringConvertible {
        case notEnoughShares(symbol: String, wanted: Decimal, held: Decimal)
        case invalid(String)

        public var description: String {
            switch self {
            case .notEnoughShares(let symbol, let wanted, let held): "selling \(wanted) \(symbol) but the lots hold \(held)"
            case .invalid(let reason): reason
            }
        }
    }

    /// The realised rows an operation added, and the earlier ones it changed (a purchase adding a wash-sale
    /// disallowance). Lots are not listed: the ledger persists the difference between two states of the book.
    public struct Changes: Sendable, Hashable {
        public var realized: [RealizedLot] = []
        public var updatedRealized: [RealizedLot] = []
    }

    public func held(_ symbol: String) -> Decimal { lots.filter { $0.symbol == symbol }.reduce(0) { $0 + $1.quantity } }

    /// Whether buying `symbol` on `day` would replace `loss` (the wash-sale rule): a loss of it, or of a security
    /// marked identical, sold in the 30 days up to `day` and not yet matched by a purchase.
    public func replaces(_ loss: RealizedLot, buying symbol: String, on day: CivilDay) -> Bool {
        loss.unmatchedLossShares > 0 && identical.same(loss.symbol, symbol) && loss.soldOn <= day && day.number - loss.soldOn.number <= Self.washWindowDays
    }

    /// The oldest loss a purchase of `symbol` on `day` would disallow, if any.
    public func lossReplaced(buying symbol: String, on day: CivilDay) -> RealizedLot? {
        realized.first { replaces($0, buying: symbol, on: day) }
    }

    // MARK: - Buying

    /// Opens a lot for a purchase (basis = quantity × price + fees). Shares bought within 30 days after a loss sale
    /// of an identical security whose loss is not yet matched replace it: that loss moves onto this lot.
    @discardableResult
    public mutating func buy(lotID: String, symbol: String, quantity: Decimal, price: Decimal, fees: Decimal, on day: CivilDay,
                             basisKnown: Bool = true) throws -> Changes {
        guard quantity > 0 else { throw LotError.invalid("a purchase needs a positive quantity") }
        var rest: TaxLot? = TaxLot(lotID: lotID, symbol: symbol, acquiredOn: day, quantity: quantity, costBasis: quantity * price + fees,
                                   basisKnown: basisKnown)
        var changes = Changes()
        // Earlier loss sales still open to a replacement, oldest first: each takes its shares off this purchase.
        for index in realized.indices {
            guard let available = rest?.quantity, available > 0 else { break }
            let loss = realized[index]
            guard replaces(loss, buying: symbol, on: day) else { continue }
            let matched = min(loss.unmatchedLossShares, available)
            let disallowed = Self.disallowed(loss, shares: matched)
            realized[index].unmatchedLossShares -= matched
            realized[index].washDisallowed += disallowed
            let piece = Self.carve(&rest, shares: matched, replacing: loss, disallowed: disallowed)
            lots.append(piece)
            changes.updatedRealized.append(realized[index])
        }
        if let rest { lots.append(rest) }
        return changes
    }

    // MARK: - Selling

    /// Consumes lots for a sale (proceeds = quantity × price − fees, shared pro rata) and realises each lot's part.
    /// A loss is disallowed for as many shares as identical shares were bought in the 30 days before (not sold by
    /// this sale, not the rest of the sold shares' own purchase, not already replacing another loss); the rest
    /// waits for a purchase in the 30 days after.
    @discardableResult
    public mutating func sell(saleID: String, symbol: String, quantity: Decimal, price: Decimal, fees: Decimal, on day: CivilDay,
                              method: LotMethod = .fifo, rates: TaxRates = .standard) throws -> Changes {
        guard quantity > 0 else { throw LotError.invalid("a sale needs a positive quantity") }
        let heldNow = held(symbol)
        guard heldNow >= quantity else { throw LotError.notEnoughShares(symbol: symbol, wanted: quantity, held: heldNow) }
        var changes = Changes()
        var remaining = quantity
        var sold: [RealizedLot] = []
        for lotID in order(symbol: symbol, method: method, price: price, on: day, rates: rates) where remaining > 0 {
            guard let index = lots.firstIndex(where: { $0.lotID == lotID }) else { continue }
            let lot = lots[index]
            let take = min(lot.quantity, remaining)
            let share = take / lot.quantity
            let basis = lot.costBasis * share
            var row = RealizedLot(realizedID: "\(saleID)-\(sold.count + 1)", saleID: saleID, lotID: lot.lotID, symbol: symbol, quantity: take,
                                  acquiredOn: lot.heldSince, soldOn: day, proceeds: take * price - fees * take / quantity, costBasis: basis,
                                  basisKnown: lot.basisKnown, term: HoldingTerm.of(heldSince: lot.heldSince, soldOn: day))
            if row.basisKnown, row.gain < 0 { row.unmatchedLossShares = take }
            sold.append(row)
            remaining -= take
            if take == lot.quantity {
                lots.remove(at: index)
            } else {
                lots[index].quantity -= take
                lots[index].costBasis -= basis
                lots[index].washAdjustment -= lot.washAdjustment * share
                lots[index].replacementShares = lot.replacementShares > 0 ? lots[index].quantity : 0
            }
        }
        // Replacement shares bought in the 30 days before the sale (what this sale left of them), oldest first.
        for position in sold.indices where sold[position].unmatchedLossShares > 0 {
            var index = 0
            while index < lots.count, sold[position].unmatchedLossShares > 0 {
                let candidate = lots[index]
                guard identical.same(candidate.symbol, symbol), candidate.acquiredOn <= day, day.number - candidate.acquiredOn.number <= Self.washWindowDays,
                      candidate.replacementShares == 0, candidate.lotID != sold[position].lotID else { index += 1; continue }
                let matched = min(sold[position].unmatchedLossShares, candidate.quantity)
                let disallowed = Self.disallowed(sold[position], shares: matched)
                sold[position].unmatchedLossShares -= matched
                sold[position].washDisallowed += disallowed
                var rest: TaxLot? = candidate
                let piece = Self.carve(&rest, shares: matched, replacing: sold[position], disallowed: disallowed)
                if let rest {
                    lots[index] = rest
                    lots.insert(piece, at: index + 1)
                    index += 2
                } else {
                    lots[index] = piece
                    index += 1
                }
            }
        }
        realized += sold
        changes.realized = sold
        return changes
    }

    /// The lots of `symbol` in the order `method` consumes them.
    public func order(symbol: String, method: LotMethod, price: Decimal, on day: CivilDay, rates: TaxRates) -> [String] {
        let open = lots.enumerated().filter { $0.element.symbol == symbol }
        let fifo = open.sorted { ($0.element.acquiredOn, $0.offset) < ($1.element.acquiredOn, $1.offset) }.map(\.element)
        switch method {
        case .fifo:
            return fifo.map(\.lotID)
        case .hifo:
            return fifo.sorted { $0.basisPerShare > $1.basisPerShare }.map(\.lotID)
        case .specific(let chosen):
            return chosen.filter { id in fifo.contains { $0.lotID == id } } + fifo.map(\.lotID).filter { !chosen.contains($0) }
        case .minimumTax:
            func tax(_ lot: TaxLot) -> Decimal {
                rates.tax(on: price - lot.basisPerShare, term: HoldingTerm.of(heldSince: lot.heldSince, soldOn: day))
            }
            return fifo.sorted { tax($0) < tax($1) }.map(\.lotID)
        }
    }

    /// The estimated tax of selling `quantity` of `symbol` at `price` by `method` (negative: losses save tax), and the
    /// gains by term. Reads the lots only: what the planner weighs before it trades.
    public func estimate(symbol: String, quantity: Decimal, price: Decimal, on day: CivilDay, method: LotMethod,
                         rates: TaxRates) -> (tax: Decimal, shortTerm: Decimal, longTerm: Decimal) {
        var copy = self
        guard let changes = try? copy.sell(saleID: "estimate", symbol: symbol, quantity: min(quantity, held(symbol)), price: price, fees: 0, on: day,
                                           method: method, rates: rates) else { return (0, 0, 0) }
        let totals = RealizedTotals(changes.realized)
        return (rates.tax(on: totals.shortTerm, term: .short) + rates.tax(on: totals.longTerm, term: .long), totals.shortTerm, totals.longTerm)
    }

    // MARK: - Splits

    /// A split (or reverse split) of `ratio` new shares per old share: quantities scale, bases and days stay.
    @discardableResult
    public mutating func split(symbol: String, ratio: Decimal) throws -> Changes {
        guard ratio > 0 else { throw LotError.invalid("a split needs a positive ratio") }
        var changes = Changes()
        for index in lots.indices where lots[index].symbol == symbol {
            lots[index].quantity *= ratio
            lots[index].replacementShares *= ratio
        }
        for index in realized.indices where realized[index].symbol == symbol && realized[index].unmatchedLossShares > 0 {
            realized[index].unmatchedLossShares *= ratio
            changes.updatedRealized.append(realized[index])
        }
        return changes
    }

    /// The disallowed part of a realised loss for `shares` of its shares (positive).
    static func disallowed(_ loss: RealizedLot, shares: Decimal) -> Decimal {
        guard loss.quantity > 0, loss.gain < 0 else { return 0 }
        return -loss.gain * shares / loss.quantity
    }
}

extension TaxLotBook {
    /// Takes `shares` off `lot` as a lot of their own that replaces them for `loss`: the disallowed loss joins its
    /// basis, the sold shares' holding period is added to its own, and it can replace no other loss. What is left
    /// of `lot` (nil when nothing) keeps the original id; the carved lot keeps it too when it is the whole lot.
    static func carve(_ lot: inout TaxLot?, shares: Decimal, replacing loss: RealizedLot, disallowed: Decimal) -> TaxLot {
        guard let whole = lot else { preconditionFailure("carving from no lot") }
        let share = shares / whole.quantity
        var piece = whole
        piece.quantity = shares
        piece.costBasis = whole.costBasis * share + disallowed
        piece.washAdjustment = whole.washAdjustment * share + disallowed
        piece.replacementShares = shares
        let carried = loss.soldOn.number - loss.acquiredOn.number
        piece.heldSince = CivilDay(number: min(whole.heldSince.number, whole.acquiredOn.number - carried))
        if shares >= whole.quantity {
            lot = nil
        } else {
            piece.lotID = "\(whole.lotID)~\(loss.realizedID)"
            var rest = whole
            rest.quantity -= shares
            rest.costBasis -= whole.costBasis * share
            rest.washAdjustment -= whole.washAdjustment * share
            lot = rest
        }
        return piece
    }
}
