/// Preference fields of a request; nil keeps the current value.
public struct PreferencesInput: Sendable {
    public var portfolioID: Int?
    public var maxPositions: Int?
    public var maxWeight: Double?
    public var cashBuffer: Double?
    public var driftThreshold: Double?
    public var excludedSymbols: [String]?
    public var requireApproval: Bool?
    public var tradingMode: String?

    public init(portfolioID: Int? = nil, maxPositions: Int? = nil, maxWeight: Double? = nil, cashBuffer: Double? = nil,
                driftThreshold: Double? = nil, excludedSymbols: [String]? = nil, requireApproval: Bool? = nil, tradingMode: String? = nil) {
        self.portfolioID = portfolioID
        self.maxPositions = maxPositions
        self.maxWeight = maxWeight
        self.cashBuffer = cashBuffer
        self.driftThreshold = driftThreshold
        self.excludedSymbols = excludedSymbols
        self.requireApproval = requireApproval
        self.tradingMode = tradingMode
    }
}
