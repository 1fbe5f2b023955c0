import Foundation

/// Shares of one purchase still held: what they cost (with the purchase's fees) and since when they count as held.
public struct TaxLot: Sendable, Hashable {
    public var lotID: String
    public var symbol: String
    /// The trade day of the purchase (or the day an opening position was brought in).
    public var acquiredOn: CivilDay
    /// The day the holding period counts from: the purchase day, moved earlier when a wash sale carries the
    /// disallowed loss's holding period over to these shares.
    public var heldSince: CivilDay
    public var quantity: Decimal
    /// Cost of the shares still held, fees included, plus any wash-sale loss added to them.
    public var costBasis: Decimal
    /// False for an opening position whose broker gave no basis: its gains cannot be computed (reported as unknown).
    public var basisKnown: Bool
    /// Of `quantity`, the shares that already replaced a loss sale (a share replaces one sold share at most).
    public var replacementShares: Decimal
    /// Wash-sale loss added to the basis (part of `costBasis`), reported as the adjustment when these shares are sold.
    public var washAdjustment: Decimal

    public init(lotID: String, symbol: String, acquiredOn: CivilDay, heldSince: CivilDay? = nil, quantity: Decimal, costBasis: Decimal,
                basisKnown: Bool = true, replacementShares: Decimal = 0, washAdjustment: Decimal = 0) {
        self.lotID = lotID
        self.symbol = symbol
        self.acquiredOn = acquiredOn
        self.heldSince = heldSince ?? acquiredOn
        self.quantity = quantity
        self.costBasis = costBasis
        self.basisKnown = basisKnown
        self.replacementShares = replacementShares
        self.washAdjustment = washAdjustment
    }

    /// Basis per share (0 when nothing is held).
    public var basisPerShare: Decimal { quantity > 0 ? costBasis / quantity : 0 }
}
