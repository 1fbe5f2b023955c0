import Foundation
import KeelCore
import Testing

@Suite("Market simulator")
struct MarketSimulatorTests {
    let start = ISO8601DateFormatter().date(from: "2024-01-01T00:00:00Z")!
    var assets: [SimulatedAsset] {
        ["SPY", "AAPL", "TLT", "BTC-USD"].compactMap { ReferenceInstruments.entry(for: $0)?.simulatedAsset }
    }

    @Test func sameSeedSameMarketDifferentSeedDifferentMarket() {
        let a = MarketSimulator(configuration: .init(seed: 7, start: start, calendarDays: 300)).simulate(assets)
        let b = MarketSimulator(configuration: .init(seed: 7, start: start, calendarDays: 300)).simulate(assets)
        let c = MarketSimulator(configuration: .init(seed: 8, start: start, calendarDays: 300)).simulate(assets)
        #expect(a.bars == b.bars)
        #expect(a.bars["AAPL"]?.close != c.bars["AAPL"]?.close)
    }

    @Test func equitiesFollowTheNYSECalendarCryptoTradesDaily() {
        let out = MarketSimulator(configuration: .init(seed: 1, start: start, calendarDays: 28)).simulate(assets)
        #expect(out.bars["BTC-USD"]?.count == 28)
        #expect(out.bars["SPY"]?.count == 18, "20 weekdays minus New Year's Day and Martin Luther King Day")
        #expect(out.regimes.count == 28)
    }

    @Test func barsAreConsistentOHLC() throws {
        let out = MarketSimulator(configuration: .init(seed: 3, start: start, calendarDays: 800)).simulate(assets)
        for series in out.bars.values {
            for i in 0..<series.count {
                #expect(series.high[i] >= max(series.open[i], series.close[i]))
                #expect(series.low[i] <= min(series.open[i], series.close[i]))
                #expect(series.low[i] > 0 && series.volume[i] >= 0)
            }
        }
    }

    @Test func assetsAreCorrelatedThroughTheMarketAndTailsAreFat() throws {
        let stocks = [SimulatedAsset(symbol: "A", assetClass: .equity, startPrice: 100, annualDrift: 0, annualVolatility: 0.2, marketBeta: 1, averageVolume: 1e6),
                      SimulatedAsset(symbol: "B", assetClass: .equity, startPrice: 100, annualDrift: 0, annualVolatility: 0.2, marketBeta: 1, averageVolume: 1e6)]
        let out = MarketSimulator(configuration: .init(seed: 11, start: start, calendarDays: 4000)).simulate(stocks)
        let ra = ReturnStatistics.simpleReturns(try #require(out.bars["A"]).close)
        let rb = ReturnStatistics.simpleReturns(try #require(out.bars["B"]).close)
        let correlation = Self.correlation(ra, rb)
        #expect(correlation > 0.4 && correlation < 0.9, "one-factor model with beta 1 at 20% vol: correlation \(correlation)")
        let mean = ra.reduce(0, +) / Double(ra.count)
        let sd = try #require(ReturnStatistics.standardDeviation(ra))
        let kurtosis = ra.reduce(0) { $0 + pow(($1 - mean) / sd, 4) } / Double(ra.count)
        #expect(kurtosis > 3.5, "Student-t shocks and regime switches give fat tails: kurtosis \(kurtosis)")
        #expect(Set(out.regimes.map(\.regime)).count >= 3, "the regime chain visits several regimes")
    }

    /// Large caps' worst days are a few times their daily volatility (AAPL's worst since 2000 outside the 2000
    /// crash: -12.9% in March 2020). Over ten seeded decades no name of at most 30% annual volatility moves 20% in a
    /// bar, and none at all moves 40%, while the tails stay fat.
    @Test func largeCapsMoveLikeLargeCapsOverManySeeds() throws {
        let equities = ReferenceInstruments.all.filter { $0.instrument.assetClass != .crypto }.map(\.simulatedAsset)
        var largest = 0.0, largestCalm = 0.0
        var kurtoses: [Double] = []
        for seed in UInt64(1)...10 {
            let out = MarketSimulator(configuration: .init(seed: seed, start: start, calendarDays: 3650)).simulate(equities)
            for asset in equities {
                let returns = ReturnStatistics.simpleReturns(try #require(out.bars[asset.symbol]).close)
                let worst = returns.map(abs).max() ?? 0
                largest = max(largest, worst)
                if asset.annualVolatility <= 0.30 { largestCalm = max(largestCalm, worst) }
                if asset.symbol == "SPY" {
                    let mean = returns.reduce(0, +) / Double(returns.count)
                    let sd = try #require(ReturnStatistics.standardDeviation(returns))
                    kurtoses.append(returns.reduce(0) { $0 + pow(($1 - mean) / sd, 4) } / Double(returns.count))
                }
            }
        }
        #expect(largestCalm < 0.20, "largest one-bar move of a name at <= 30% volatility: \(largestCalm)")
        #expect(largest < 0.40, "largest one-bar move of any equity: \(largest)")
        #expect(kurtoses.allSatisfy { $0 > 4 }, "SPY's daily kurtosis per seed: \(kurtoses)")
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(min(x.count, y.count))
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<Int(n) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        return sxy / (sxx * syy).squareRoot()
    }
}
