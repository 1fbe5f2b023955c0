import Foundation
import KeelCore
import KeelML
import Testing

@Suite("Momentum baseline model")
struct MomentumBaselineModelTests {
    let start = ISO8601DateFormatter().date(from: "2023-01-02T00:00:00Z")!

    /// A daily series growing at a constant daily log rate.
    func trend(_ symbol: String, daily: Double, days: Int = 500) -> BarSeries {
        var series = BarSeries(symbol: symbol)
        var price = 100.0
        for day in 0..<days {
            // A small zigzag gives each series a volatility.
            price *= exp(daily + (day.isMultiple(of: 2) ? 0.01 : -0.01))
            series.append(timestamp: start.addingTimeInterval(Double(day) * 86_400), open: price, high: price, low: price, close: price, volume: 1)
        }
        return series
    }

    @Test func strongerTrendsScoreHigherAndExpectMore() throws {
        let model = MomentumBaselineModel()
        let asOf = start.addingTimeInterval(480 * 86_400)
        let predictions = model.predict(histories: [trend("UP", daily: 0.002), trend("FLAT", daily: 0), trend("DOWN", daily: -0.002)], asOf: asOf)
        #expect(predictions.map(\.symbol) == ["UP", "FLAT", "DOWN"])
        #expect(predictions[0].expectedReturn > 0 && predictions[2].expectedReturn < 0)
        #expect(abs(predictions.map(\.score).reduce(0, +)) < 1e-9, "scores are standardised across the universe")
        #expect(predictions.allSatisfy { $0.modelVersion == MomentumBaselineModel.version && $0.asOf <= asOf })
    }

    @Test func nothingAfterAsOfChangesAPrediction() {
        let model = MomentumBaselineModel()
        let asOf = start.addingTimeInterval(400 * 86_400)
        let full = [trend("A", daily: 0.001), trend("B", daily: -0.001)]
        let cut = full.map { $0.truncated(through: asOf) }
        #expect(model.predict(histories: full, asOf: asOf) == model.predict(histories: cut, asOf: asOf))
    }

    @Test func tooShortAHistoryIsLeftOut() {
        let predictions = MomentumBaselineModel().predict(histories: [trend("NEW", daily: 0.01, days: 60), trend("OLD", daily: 0, days: 300)],
                                                          asOf: start.addingTimeInterval(299 * 86_400))
        #expect(predictions.map(\.symbol) == ["OLD"])
    }
}
