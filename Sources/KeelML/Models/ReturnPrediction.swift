import Foundation

/// A model's view of one symbol at one time.
public struct ReturnPrediction: Sendable, Hashable, Codable {
    public var symbol: String
    /// Expected return over `horizonDays` calendar days.
    public var expectedReturn: Double
    /// Cross-sectional z-score of the model's signal.
    public var score: Double
    /// Annualised volatility used to scale the expectation.
    public var volatility: Double
    public var horizonDays: Int
    public var modelVersion: String
    /// The last bar time the prediction used; nothing after it.
    public var asOf: Date

    public init(symbol: String, expectedReturn: Double, score: Double, volatility: Double, horizonDays: Int, modelVersion: String, asOf: Date) {
        self.symbol = symbol
        self.expectedReturn = expectedReturn
        self.score = score
        self.volatility = volatility
        self.horizonDays = horizonDays
        self.modelVersion = modelVersion
        self.asOf = asOf
    }
}
