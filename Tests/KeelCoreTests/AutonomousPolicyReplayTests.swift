import Foundation
import KeelCore
@testable import KeelML
import Testing

@Suite("Autonomous policy replay")
struct AutonomousPolicyReplayTests {
    /// Simulated prices with regime changes (the simulator's Markov regimes), 12 names and the benchmark.
    static func market(days: Int = 900) -> (universe: [BarSeries], benchmark: BarSeries) {
        var assets: [SimulatedAsset] = []
        for i in 0..<12 {
            let k = Double(i)
            assets.append(SimulatedAsset(symbol: String(format: "A%02d", i), assetClass: .equity, startPrice: 50 + k, annualDrift: 0.02 * Double(i % 5),
                                         annualVolatility: 0.18 + 0.02 * Double(i % 4), marketBeta: 0.6 + 0.08 * k, averageVolume: 2_000_000))
        }
        assets += [SimulatedAsset(symbol: "SPY", assetClass: .equity, startPrice: 300, annualDrift: 0.06, annualVolatility: 0.05, marketBeta: 1,
                            averageVolume: 50_000_000)]
        let output = MarketSimulator(configuration: .init(seed: 11, start: Date(timeIntervalSince1970: 1_500_000_000), calendarDays: days)).simulate(assets)
        let benchmark = output.bars["SPY"]!
        return (output.bars.values.filter { $0.symbol != "SPY" }.sorted { $0.symbol < $1.symbol }, benchmark)
    }

    @Test("the replay decides every day with the cycle's code: days add up, switches and de-risks are counted, the result is reproducible")
    func replays() throws {
        let (universe, benchmark) = Self.market()
        let replay = AutonomousPolicyReplay()
        let (report, result) = try replay.run(histories: universe + [benchmark], benchmark: benchmark)
        let decided = report.daysInStrategy.values.reduce(0, +)
        #expect(decided == report.daysInRegime.values.reduce(0, +) && decided > 300, "\(report.daysInStrategy) \(report.daysInRegime)")
        #expect(Set(report.fixed.keys) == ["momentum", "breakout", "mean_reversion", "balanced", "low_volatility"])
        #expect(report.policy.costs > 0 && result.fills > 0, "it traded, with costs")
        #expect(report.switches >= 0 && report.switches < decided)
        let again = try replay.run(histories: universe + [benchmark], benchmark: benchmark)
        #expect(again.report == report && again.result.equity == result.equity)
    }

    @Test("no look-ahead: the replay on history cut at a day trades exactly as the full replay did up to that day")
    func noLookAhead() throws {
        let (universe, benchmark) = Self.market()
        let full = try AutonomousPolicyReplay().run(histories: universe + [benchmark], benchmark: benchmark).result
        let cut = full.timestamps[full.timestamps.count - 200]
        let truncated = (universe + [benchmark]).map { $0.truncated(through: cut) }
        let short = try AutonomousPolicyReplay().run(histories: truncated.filter { $0.symbol != "SPY" } + [benchmark.truncated(through: cut)],
                                                     benchmark: benchmark.truncated(through: cut)).result
        // The last bar of the short run has no next open to fill at: compare the bars before it.
        let common = short.equity.count - 2
        #expect(common > 300)
        for i in 0..<common { #expect(abs(short.equity[i] - full.equity[i]) < 1e-6, "bar \(i): \(short.equity[i]) vs \(full.equity[i])") ; if abs(short.equity[i] - full.equity[i]) >= 1e-6 { break } }
    }

    @Test("a heavy drawdown de-risks the policy (counted) and too short a history is an error")
    func deriskAndShortHistory() throws {
        let (universe, benchmark) = Self.market()
        var settings = AutonomousPolicyReplay.Settings()
        settings.maxDrawdown = 0.02
        let report = try AutonomousPolicyReplay(settings: settings).run(histories: universe + [benchmark], benchmark: benchmark).report
        #expect(report.derisks >= 1 && (report.daysInStrategy["low_volatility"] ?? 0) > 0, "\(report)")
        #expect(throws: AutonomousPolicyReplay.ReplayError.self) {
            try AutonomousPolicyReplay().run(histories: universe, benchmark: benchmark.truncated(through: benchmark.timestamps[100]))
        }
    }
}
