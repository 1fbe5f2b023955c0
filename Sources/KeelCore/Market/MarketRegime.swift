/// The state of the market on a day; drives simulated drift and volatility and, later, strategy choice.
public enum MarketRegime: String, Sendable, Codable, CaseIterable {
    case bull
    case bear
    case highVolatility = "high_volatility"
    case sideways
}
