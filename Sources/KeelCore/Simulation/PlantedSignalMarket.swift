import Foundation

/// Daily bars where one thing predicts the next 20 days' returns, or (without `signal`) nothing does: each
/// symbol's drift follows a slowly mean-reverting hidden state (AR(1), half-life about 23 days), which its recent
/// returns reveal. What the model
/// pipeline must find when it is there and must not find when it is not.
public enum PlantedSignalMarket {
    public static func histories(symbols: Int = 30, days: Int = 700, signal: Bool, seed: UInt64 = 7, prefix: String = "S",
                                 start: Date = Date(timeIntervalSince1970: 1_500_000_000)) -> [BarSeries] {
        var generator = SeededGenerator(seed: seed)
        return (0..<symbols).map { s in
            var series = BarSeries(symbol: prefix + String(format: "%02d", s))
            var close = 100.0
            var state = 0.0
            for d in 0..<days {
                state = 0.97 * state + 0.243 * generator.nextNormal()
                let drift = signal ? 0.003 * state : 0
                let noise = Double.random(in: -1...1, using: &generator) * 0.01
                close *= 1 + drift + noise
                series.append(timestamp: start.addingTimeInterval(Double(d) * 86_400), open: close, high: close * 1.005, low: close * 0.995,
                              close: close, volume: 1_000_000)
            }
            return series
        }
    }
}
