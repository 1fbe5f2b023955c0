import Foundation
import KeelCore
import KeelStore

/// Market regimes computed from stored bars: the current one and the history of a symbol.
public struct RegimeService: Sendable {
    let context: ServiceContext
    public var classifier = RegimeClassifier()

    public init(context: ServiceContext) {
        self.context = context
    }

    /// Every day of `symbol` in [from, to], classified with all earlier stored bars as its history.
    public func history(symbol raw: String?, from: Date?, to: Date?, by principal: Principal) async throws -> [RegimeDay] {
        _ = principal
        let symbol = try Self.symbol(raw)
        if let from, let to, from > to { throw ServiceError.invalid("from", "from must not be after to") }
        let series = try await context.database.read { try await $0.marketBars.history(symbols: [symbol], since: .distantPast) }.first
        guard let series, series.count > 0 else {
            throw ServiceError(.notFound, code: "no_market_data", message: "no stored bars for \(symbol)", field: "symbol")
        }
        return classifier.classify(series).filter { day in (from.map { day.date >= $0 } ?? true) && (to.map { day.date <= $0 } ?? true) }
    }

    public func current(symbol: String?, by principal: Principal) async throws -> RegimeDay {
        guard let last = try await history(symbol: symbol, from: nil, to: nil, by: principal).last else {
            throw ServiceError(.notFound, code: "no_market_data", message: "no stored bars for \(symbol ?? "")", field: "symbol")
        }
        return last
    }

    /// Classifies `symbol`'s stored bars up to `asOf` and stores every day not stored yet (and the last one
    /// again) in `market_regimes`; returns the day at `asOf`, nil without bars.
    public func storeDaily(symbol: String, asOf: Date) async throws -> RegimeDay? {
        let series = try await context.database.read { try await $0.marketBars.history(symbols: [symbol], since: .distantPast) }.first
        guard let series, series.count > 0 else { return nil }
        let days = classifier.classify(series).filter { $0.date <= asOf }
        guard let last = days.last else { return nil }
        let now = context.clock.now()
        let latestStored = try await context.database.read { try await $0.regimes.latest(symbol: symbol) }?.day
        let fresh = try days.filter { latestStored == nil || CivilDay($0.date).description >= latestStored! }.map { day in
            StoredRegimeDay(symbol: symbol, day: CivilDay(day.date).description, regime: day.regime.rawValue, indicated: day.indicated.rawValue,
                            confidence: day.confidence.isFinite ? day.confidence : 0, inputs: try StoredJSON.encode(StoredInputs(day.inputs)),
                            computedAt: now)
        }
        try await context.database.write { try await $0.regimes.store(fresh) }
        return last
    }

    /// Regime inputs as stored: null where a number is not yet computable.
    struct StoredInputs: Codable {
        var close, movingAverage200, movingAverageSlope, volatility, volatilityPercentile, drawdown, breadth: Double?

        init(_ inputs: RegimeInputs) {
            func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
            close = finite(inputs.close)
            movingAverage200 = finite(inputs.movingAverage)
            movingAverageSlope = finite(inputs.movingAverageSlope)
            volatility = finite(inputs.volatility)
            volatilityPercentile = finite(inputs.volatilityPercentile)
            drawdown = finite(inputs.drawdown)
            breadth = finite(inputs.breadth)
        }

        enum CodingKeys: String, CodingKey {
            case close, volatility, drawdown, breadth
            case movingAverage200 = "moving_average_200", movingAverageSlope = "moving_average_slope", volatilityPercentile = "volatility_percentile"
        }
    }

    static func symbol(_ raw: String?) throws -> String {
        let symbol = (raw ?? "SPY").trimmingCharacters(in: .whitespaces).uppercased()
        guard !symbol.isEmpty, symbol.count <= 20, symbol.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "^" }) else {
            throw ServiceError.invalid("symbol", "symbol must be 1-20 letters, digits, '.', '-' or '^'")
        }
        return symbol
    }
}
