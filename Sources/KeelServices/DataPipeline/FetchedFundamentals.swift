import KeelStore

public struct FetchedFundamentals: Sendable {
    public var rows: [FundamentalSnapshot]
    /// Source quirks that were corrected on the way in, for the run's report.
    public var corrections: [String]
}
