import Foundation
import KeelCore
import Vapor

/// A day's regime inputs; null where a number is not yet computable (e.g. the 200-day average's first 199 days).
struct RegimeInputsResponse: Content {
    var close: Double?
    var movingAverage200: Double?
    var movingAverageSlope: Double?
    var volatility: Double?
    var volatilityPercentile: Double?
    var drawdown: Double?
    var breadth: Double?

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
}

struct RegimeDayResponse: Content {
    var date: Date
    var regime: String
    var confidence: Double
    /// The regime the day alone pointed at, before hysteresis.
    var indicated: String
    var inputs: RegimeInputsResponse

    init(_ day: RegimeDay) {
        date = day.date
        regime = day.regime.rawValue
        confidence = day.confidence.isFinite ? day.confidence : 0
        indicated = day.indicated.rawValue
        inputs = RegimeInputsResponse(day.inputs)
    }
}
