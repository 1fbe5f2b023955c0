/// What portfolio construction knows about one symbol on a date: the model's view and its risk.
public struct SymbolSignal: Sendable, Hashable {
    public var symbol: String
    /// Expected return over the model's horizon (e.g. 0.012 = +1.2%).
    public var expectedReturn: Double
    /// Cross-sectional standardised score; higher is more attractive.
    public var score: Double
    /// Annualised volatility of the symbol's returns.
    public var volatility: Double

    public init(symbol: String, expectedReturn: Double, score: Double, volatility: Double) {
        self.symbol = symbol
        self.expectedReturn = expectedReturn
        self.score = score
        self.volatility = volatility
    }
}
