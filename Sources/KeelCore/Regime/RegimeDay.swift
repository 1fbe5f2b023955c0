import Foundation

/// What decided a day's regime: every number is point in time (bars up to that day only).
public struct RegimeInputs: Sendable, Codable, Hashable {
    public var close: Double
    /// 200-day simple moving average (NaN during its first 199 days).
    public var movingAverage: Double
    /// The average's change over the last 20 days, relative to it.
    public var movingAverageSlope: Double
    /// 21-day realised volatility, annualised.
    public var volatility: Double
    /// Where that volatility ranks among all earlier days of the series (0…1).
    public var volatilityPercentile: Double
    /// Close against the running peak (0 at a high, −0.3 thirty percent below it).
    public var drawdown: Double
    /// Share of the universe trading above its own 200-day average, when a universe is given.
    public var breadth: Double?
}

public struct RegimeDay: Sendable, Codable, Hashable {
    public var date: Date
    public var regime: MarketRegime
    /// How clearly the day's inputs point at the regime (0…1).
    public var confidence: Double
    /// The regime the day alone points at, before hysteresis.
    public var indicated: MarketRegime
    public var inputs: RegimeInputs
}
