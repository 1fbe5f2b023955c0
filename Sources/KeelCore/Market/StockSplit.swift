import Foundation

/// A stock split (or reverse split): from its ex-date each old share is `newShares / oldShares` shares, at a price
/// divided by the same ratio. It takes effect at the start of the ex-date (UTC), before that day's session.
public struct StockSplit: Sendable, Hashable, CustomStringConvertible {
    public var symbol: String
    public var newShares: Int
    public var oldShares: Int
    public var exDate: CivilDay

    public init(symbol: String, newShares: Int, oldShares: Int, exDate: CivilDay) {
        self.symbol = symbol
        self.newShares = newShares
        self.oldShares = oldShares
        self.exDate = exDate
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
