import Foundation

/// One lot's part of a sale: what it brought, what it cost, the gain, its term, and any loss a wash sale disallowed.
public struct RealizedLot: Sendable, Hashable {
    public var realizedID: String
    public var saleID: String
    public var lotID: String
    public var symbol: String
    public var quantity: Decimal
    /// The lot's holding-period start (its purchase day, or earlier when a wash sale carried a holding period over).
    public var acquiredOn: CivilDay
    public var soldOn: CivilDay
    /// Sale value less the sale's fees, pro rata.
    public var proceeds: Decimal
    /// The lot's basis for these shares, fees and wash-sale additions included.
    public var costBasis: Decimal
    public var basisKnown: Bool
    public var term: HoldingTerm
    /// Loss disallowed by the wash-sale rule (positive), added to the replacement shares' basis.
    public var washDisallowed: Decimal
    /// Of the loss's shares, those not yet matched to a replacement purchase (one may still come within 30 days).
    public var unmatchedLossShares: Decimal

    public init(realizedID: String, saleID: String, lotID: String, symbol: String, quantity: Decimal, acquiredOn: CivilDay, soldOn: CivilDay,
                proceeds: Decimal, costBasis: Decimal, basisKnown: Bool, term: HoldingTerm, washDisallowed: Decimal = 0, unmatchedLossShares: Decimal = 0) {
        self.realizedID = realizedID
        self.saleID = saleID
        self.lotID = lotID
        self.symbol = symbol
        self.quantity = quantity
        self.acquiredOn = acquiredOn
        self.soldOn = soldOn
        self.proceeds = proceeds
        self.costBasis = costBasis
        self.basisKnown = basisKnown
        self.term = term
        self.washDisallowed = washDisallowed
        self.unmatchedLossShares = unmatchedLossShares
    }

    /// Proceeds less basis, before any wash-sale adjustment.
    public var gain: Decimal { proceeds - costBasis }
    /// The gain that counts: a disallowed loss is added back (column (h) of Form 8949).
    public var reportableGain: Decimal { gain + washDisallowed }
    public var taxYear: Int { soldOn.components.year }
}

/// Realised lots summed as a tax return reports them: gains by term (wash-sale disallowances added back) and the
/// losses disallowed; lots without a known basis are left out of both.
public struct RealizedTotals: Sendable, Hashable {
    public var shortTerm: Decimal = 0
    public var longTerm: Decimal = 0
    public var washDisallowed: Decimal = 0

    public init<Lots: Sequence>(_ lots: Lots) where Lots.Element == RealizedLot {
        for row in lots where row.basisKnown {
            if row.term == .short { shortTerm += row.reportableGain } else { longTerm += row.reportableGain }
            washDisallowed += row.washDisallowed
        }
    }
}
