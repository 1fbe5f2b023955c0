import Foundation

/// The rates a client's gains are taxed at (federal and state together, as the advisor sets them).
public struct TaxRates: Sendable, Hashable, Codable {
    public var shortTerm: Decimal
    public var longTerm: Decimal

    public init(shortTerm: Decimal, longTerm: Decimal) {
        self.shortTerm = shortTerm
        self.longTerm = longTerm
    }

    /// The defaults when none are set: 37% short term, 20% long term (the top federal brackets).
    public static let standard = TaxRates(shortTerm: Decimal(string: "0.37")!, longTerm: Decimal(string: "0.20")!)

    public func rate(_ term: HoldingTerm) -> Decimal { term == .short ? shortTerm : longTerm }

    /// The tax (negative: a saving) of realising `gain` at `term`, losses valued at the same rate they offset.
    public func tax(on gain: Decimal, term: HoldingTerm) -> Decimal { gain * rate(term) }
}
