/// A strategy template an advisor assigns to clients.
public struct ModelPortfolioDefinition: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var strategy: StrategyKind
    public var riskLevel: String
    public var description: String
    public var universe: [String]

    public init(id: Int, name: String, strategy: StrategyKind, riskLevel: String, description: String, universe: [String]) {
        self.id = id
        self.name = name
        self.strategy = strategy
        self.riskLevel = riskLevel
        self.description = description
        self.universe = universe
    }

    /// The defensive low-volatility model portfolio: where the autonomous cycle goes in bear or volatile markets.
    public static let defensiveID = 3

    /// Model portfolio 4: weights from the deployed RL policy over the growth universe (added by migration M020).
    public static let rlPolicy = ModelPortfolioDefinition(
        id: 4, name: "rl-policy", strategy: .rlPolicy, riskLevel: "aggressive",
        description: "Target weights from the deployed reinforcement-learning allocation policy",
        universe: ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "NFLX", "AMD", "CRM", "ADBE", "BTC-USD", "ETH-USD"])

    /// The model portfolios every installation starts with (ids are fixed: clients refer to them).
    public static let standard: [ModelPortfolioDefinition] = [
        ModelPortfolioDefinition(
            id: 1, name: "growth_momentum", strategy: .momentum, riskLevel: "aggressive",
            description: "Large-cap growth and crypto, held while 12-1 momentum is positive, risk-scaled",
            universe: ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "NFLX", "AMD", "CRM", "ADBE", "BTC-USD", "ETH-USD"]),
        ModelPortfolioDefinition(
            id: 2, name: "balanced", strategy: .balanced, riskLevel: "moderate",
            description: "Diversified stock, bond, gold and real-estate ETFs with quality large caps; half equal weight, half inverse volatility",
            universe: ["SPY", "QQQ", "IWM", "EFA", "AGG", "TLT", "GLD", "VNQ", "JPM", "JNJ", "PG", "XOM", "UNH", "HD"]),
        ModelPortfolioDefinition(
            id: 3, name: "defensive_low_volatility", strategy: .lowVolatility, riskLevel: "conservative",
            description: "Minimum-volatility ETFs, staples, utilities and Treasuries, inverse-volatility weighted",
            universe: ["USMV", "SPLV", "XLU", "XLP", "JNJ", "PG", "KO", "PEP", "WMT", "MCD", "TLT", "IEF", "SHY", "GLD"]),
    ]
}
