import Foundation
import KeelCore

/// A finished backtest as it is stored, served and written to result.json.
public struct BacktestOutcome: Sendable, Codable {
    public struct Point: Sendable, Codable {
        public var date: Date
        public var equity: Double
    }

    public struct Trade: Sendable, Codable {
        public var symbol: String
        public var entryTime: Date
        public var exitTime: Date
        public var quantity: Double
        public var entryPrice: Double
        public var exitPrice: Double
        public var commission: Double
        public var profitLoss: Double
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
    public var tradeList: [Trade]
    public var bars: Int
    public var elapsedMilliseconds: Double

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
