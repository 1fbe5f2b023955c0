import Foundation

/// A stock split (or reverse split): from its ex-date each old share is `newShares / oldShares` shares, at a price
/// divided by the same ratio. It takes effect at the start of the ex-date (UTC), before that day's session.
///
/// A whole-share holding the ratio leaves with a fraction of a share (7 shares in a 1-for-2 reverse split are 3.5)
/// keeps the whole shares and is paid the fraction in cash at `cashInLieuPrice` per new share, as brokers do; the
/// price is fixed once, when the split first takes effect (nil before that, and for symbols that trade in fractions).
public struct StockSplit: Sendable, Hashable, CustomStringConvertible {
    public var symbol: String
    public var newShares: Int
    public var oldShares: Int
    public var exDate: CivilDay
    public var cashInLieuPrice: Decimal?

    public init(symbol: String, newShares: Int, oldShares: Int, exDate: CivilDay, cashInLieuPrice: Decimal? = nil) {
        self.symbol = symbol
        self.newShares = newShares
        self.oldShares = oldShares
        self.exDate = exDate
        self.cashInLieuPrice = cashInLieuPrice
    }

    /// The same split, ignoring its cash-in-lieu price (what recording it again must match).
    public func sameShares(as other: StockSplit) -> Bool {
        symbol == other.symbol && newShares == other.newShares && oldShares == other.oldShares && exDate == other.exDate
    }

    /// What `quantity` old shares become: the shares kept, the fraction of a new share paid in cash, and the cash
    /// (rounded to cents, as a broker posts it). Everything is kept when no cash-in-lieu price is fixed.
    public func settle(_ quantity: Decimal) -> (kept: Decimal, paidShares: Decimal, cash: Decimal) {
        let scaled = quantity * ratio
        guard let price = cashInLieuPrice, scaled > 0 else { return (scaled, 0, 0) }
        let kept = scaled.rounded(scale: 0, mode: .down)
        let paid = scaled - kept
        return (kept, paid, (paid * price).roundedToCents)
    }

    /// The price per new share of a fraction paid in cash: the last close before the ex-date, in old shares, divided
    /// by the ratio (a 1-for-10 reverse split of a $2.00 close pays $20.00 a new share), to four decimals.
    public func cashInLieuPrice(lastCloseBefore close: Double) -> Decimal? {
        guard close.isFinite, close > 0, ratio > 0 else { return nil }
        return (Decimal(close).rounded(scale: 4) / ratio).rounded(scale: 4)
    }

    /// The instant share counts change: midnight UTC of the ex-date, after the previous session and before its own.
    public var effectiveAt: Date { exDate.date }

    /// New shares per old share, exactly (see `exactRatio`).
    public var ratio: Decimal { Self.exactRatio(newShares: newShares, oldShares: oldShares) ?? 0 }

    /// The most fraction digits a ratio may have: a share count (at most four fraction digits, crypto's six never
    /// split) times it stays exact in the ledger's ten.
    public static let ratioFractionDigits = 6

    /// `newShares / oldShares` when it is a decimal of at most `ratioFractionDigits` fraction digits (2-for-1, 3-for-2,
    /// 1-for-8, 1-for-20); nil when it repeats (1-for-3) or is finer, since every share count it scales would then be
    /// rounded and the books would no longer add up.
    public static func exactRatio(newShares: Int, oldShares: Int) -> Decimal? {
        guard newShares > 0, oldShares > 0 else { return nil }
        var scale = Decimal(1)
        for _ in 0...ratioFractionDigits {
            let scaled = Decimal(newShares) * scale
            let whole = scaled / Decimal(oldShares)
            if whole == whole.rounded(scale: 0, mode: .plain), whole * Decimal(oldShares) == scaled {
                return whole / scale
            }
            scale *= 10
        }
        return nil
    }

    /// "2-for-1 split of AAPL on 2026-12-07".
    public var description: String { "\(newShares)-for-\(oldShares) split of \(symbol) on \(exDate)" }
}
