import Foundation
import KeelCore
import KeelML

/// A finished backtest as it is stored, served and written to result.json.
public struct BacktestOutcome: Sendable, Codable {
    public struct Point: Sendable, Codable {
        public var date: Date
        public var equity: Double
    }

    public var strategy: String
    public var symbols: [String]
    public var initialCash: Double
    public var finalEquity: Double
    /// Round trips closed.
    public var trades: Int
    public var fills: Int
    public var commissions: Double
    public var metrics: PerformanceMetrics
    public var benchmark: String?
    public var benchmarkMetrics: PerformanceMetrics?
    public var equityCurve: [Point]
    public var benchmarkCurve: [Point]?
    public var tradeList: [RoundTrip]
    /// With a goal: the goal-aware path against constant sizing on the same strategy and data.
    public var goalReplay: GoalReplayComparison? = nil
    /// With `tax`: the naive policy's and the tax-aware policy's realised gains, taxes and after-tax values.
    public var tax: TaxReplayComparison? = nil
    public var bars: Int
    public var elapsedMilliseconds: Double
    /// How it filled, e.g. "next open, 5 bp slippage, Schwab fees"; same-close fills are marked "(optimistic)".
    public var execution: String? = nil
    /// The autonomous replay: against the benchmark and each fixed strategy, switches, demotions, de-risks and days
    /// in each regime and strategy.
    public var autonomous: AutonomousPolicyReplay.Report? = nil

    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }
}

/// A goal policy replayed against constant sizing.
public struct GoalReplayComparison: Sendable, Codable {
    public struct Path: Sendable, Codable {
        public var finalEquity: Double
        public var totalReturn: Double
        public var maxDrawdown: Double
        public var annualVolatility: Double
        public var sharpe: Double
        public var periods: Int
        /// Periods whose return reached the target.
        public var periodsHit: Int
        public var worstPeriodReturn: Double
        public var meanFactor: Double
        public var equityCurve: [BacktestOutcome.Point]
    }

    public struct Factor: Sendable, Codable {
        public var date: Date
        public var factor: Double
    }

    public var goalType: String
    public var goalTarget: Double
    public var goalAware: Path
    public var constant: Path
    /// The goal-aware factor at every rebalance.
    public var factors: [Factor]
}

/// The naive rebalancing policy (lots kept, no tax rules) beside the tax-aware one, on the same strategy and data.
public struct TaxReplayComparison: Sendable, Codable {
    public var shortTermRate: Double
    public var longTermRate: Double
    public var naive: TaxReplay.Result
    public var aware: TaxReplay.Result
    /// The same comparison on seeded sub-universes (`tax_draws`), when asked for.
    public var draws: TaxDrawComparison? = nil
}
