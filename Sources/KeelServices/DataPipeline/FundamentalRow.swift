import Foundation

/// One company's fundamentals in one snapshot, normalised (dividend yield as a fraction, 52-week low below
/// high, sector vs sub-industry resolved).
public struct FundamentalRow: Sendable, Hashable {
    public var symbol: String
    public var asOf: Date
    public var name: String?
    public var sector: String?
    public var subIndustry: String?
    public var price: Double?
    public var peRatio: Double?
    public var dividendYield: Double?
    public var eps: Double?
    public var week52Low: Double?
    public var week52High: Double?
    public var marketCap: Double?
    public var ebitda: Double?
    public var priceToSales: Double?
    public var priceToBook: Double?
}

public struct FetchedFundamentals: Sendable {
    public var rows: [FundamentalRow]
    /// Source quirks that were corrected on the way in, for the run's report.
    public var corrections: [String]
}
