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
    /// 0 removes the limit.
    public var maxDrawdownLimit: Double?
    /// 0 removes the limit.
    public var maxVolatilityLimit: Double?
    public var deriskAction: String?

    /// True when a request names none of the fields: an update that would silently do nothing.
    var isEmpty: Bool {
        portfolioID == nil && maxPositions == nil && maxWeight == nil && cashBuffer == nil && driftThreshold == nil
            && excludedSymbols == nil && requireApproval == nil && tradingMode == nil
            && maxDrawdownLimit == nil && maxVolatilityLimit == nil && deriskAction == nil
    }

    static let fields = "portfolio_id, max_positions, max_weight, cash_buffer, drift_threshold, excluded_symbols, require_approval, trading_mode, max_drawdown_limit, max_volatility_limit, derisk_action"

    public init(portfolioID: Int? = nil, maxPositions: Int? = nil, maxWeight: Double? = nil, cashBuffer: Double? = nil,
                driftThreshold: Double? = nil, excludedSymbols: [String]? = nil, requireApproval: Bool? = nil, tradingMode: String? = nil,
                maxDrawdownLimit: Double? = nil, maxVolatilityLimit: Double? = nil, deriskAction: String? = nil) {
        self.maxDrawdownLimit = maxDrawdownLimit
        self.maxVolatilityLimit = maxVolatilityLimit
        self.deriskAction = deriskAction
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
