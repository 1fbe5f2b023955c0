import Foundation

/// The fundamentals a feature may use, with the day they became public.
public struct FundamentalPoint: Sendable, Hashable {
    public var symbol: String
    public var publishedAt: Date
    public var peRatio: Double?
    public var dividendYield: Double?
    public var marketCap: Double?
    public var priceToBook: Double?

    public init(symbol: String, publishedAt: Date, peRatio: Double?, dividendYield: Double?, marketCap: Double?, priceToBook: Double?) {
        self.symbol = symbol
        self.publishedAt = publishedAt
        self.peRatio = peRatio
        self.dividendYield = dividendYield
        self.marketCap = marketCap
        self.priceToBook = priceToBook
    }
}
