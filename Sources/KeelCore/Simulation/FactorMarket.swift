import Foundation

/// Daily bars of a market that looks like equities to a statistical test: a common factor every name loads on
/// (betas 0.5 to 1.5), volatility that clusters (GARCH(1,1) on the factor and on each name's own noise), and
/// occasional jumps. With `signal` > 0 each name's drift also follows a slowly mean-reverting hidden state
/// (AR(1), half-life about 23 days, unit variance) that its recent returns reveal: a one-standard-deviation state
/// adds `signal` to the expected daily return. With `signal` = 0 nothing predicts the cross-section: what the
/// deployment gate must refuse at its stated rate.
public struct FactorMarket: Sendable {
    public var symbols: Int
    public var days: Int
    /// Expected daily return per standard deviation of the hidden state (0: a null market).
    public var signal: Double
    /// Long-run daily volatility of the factor and of each name's own noise.
    public var factorVolatility = 0.01
    public var idiosyncraticVolatility = 0.015
    /// Probability a name jumps on a day, and the jump's standard deviation.
    public var jumpProbability = 0.004
    public var jumpSize = 0.05

    public init(symbols: Int, days: Int, signal: Double) {
        self.symbols = max(1, symbols)
        self.days = max(1, days)
        self.signal = signal
    }

    public func histories(seed: UInt64, prefix: String = "F", start: Date = Date(timeIntervalSince1970: 1_500_000_000)) -> [BarSeries] {
        var generator = SeededGenerator(seed: seed)
        // GARCH(1,1): s2' = w + a e2 + b s2 with a + b = 0.98, so a shock's effect on variance halves in ~35 days.
        let a = 0.08, b = 0.90
        var factorVariance = factorVolatility * factorVolatility
        let factorFloor = factorVariance * (1 - a - b)
        let betas = (0..<symbols).map { _ in Double.random(in: 0.5...1.5, using: &generator) }
        var ownVariance = [Double](repeating: idiosyncraticVolatility * idiosyncraticVolatility, count: symbols)
        let ownFloor = idiosyncraticVolatility * idiosyncraticVolatility * (1 - a - b)
        var states = (0..<symbols).map { _ in generator.nextNormal() }
        var closes = [Double](repeating: 100, count: symbols)
        var series = (0..<symbols).map { BarSeries(symbol: prefix + String(format: "%03d", $0)) }
        for s in series.indices { series[s].reserveCapacity(days) }
        for d in 0..<days {
            let factorShock = factorVariance.squareRoot() * generator.nextNormal()
            factorVariance = factorFloor + a * factorShock * factorShock + b * factorVariance
            let timestamp = start.addingTimeInterval(Double(d) * 86_400)
            for s in 0..<symbols {
                let ownShock = ownVariance[s].squareRoot() * generator.nextNormal()
                ownVariance[s] = ownFloor + a * ownShock * ownShock + b * ownVariance[s]
                states[s] = 0.97 * states[s] + 0.243 * generator.nextNormal()
                var dailyReturn = signal * states[s] + betas[s] * factorShock + ownShock
                if Double.random(in: 0..<1, using: &generator) < jumpProbability { dailyReturn += jumpSize * generator.nextNormal() }
                let open = closes[s]
                closes[s] = max(0.01, closes[s] * (1 + max(dailyReturn, -0.5)))
                let close = closes[s]
                series[s].append(timestamp: timestamp, open: open, high: max(open, close) * 1.002, low: min(open, close) * 0.998,
                                 close: close, volume: 1_000_000)
            }
        }
        return series
    }
}
