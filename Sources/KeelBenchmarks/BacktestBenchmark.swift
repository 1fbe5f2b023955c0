import ArgumentParser
import Foundation
import KeelCore

/// The engine against the C reference loop (same rules, same data, same run), the parameter sweep on one
/// and on all cores, and a 500-symbol portfolio backtest.
struct BacktestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Backtest engine vs the C crossover loop; sweeps; a 500-symbol portfolio.")

    @ArgumentParser.Option(help: "Bars for the crossover comparison.")
    var bars = 1_000_000

    @ArgumentParser.Option(help: "Timed repetitions.")
    var repetitions = 20

    @ArgumentParser.Option(name: .customLong("reference"), help: "The folder holding crossover.c (default ../shared/bench-reference).")
    var reference = "../shared/bench-reference"

    func run() async throws {
        try crossover()
        await sweep()
        try portfolio()
    }

    func crossover() throws {
        let series = IndicatorBenchmark.simulatedSeries(bars: bars)
        var strategy = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
        let engine = SignalBacktester(execution: ExecutionModel(timing: .close, commission: .perOrder(1)), initialCash: 1e6)
        var result = engine.run(&strategy, series: series)
        let timing = Timing.measure(repetitions: repetitions) {
            var fresh = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
            result = engine.run(&fresh, series: series)
        }
        print(String(format: "Keel engine, SMA(10/30) crossover over %d bars: best %.2f ms, median %.2f ms (%.0f M bars/s); %d fills, final equity %.6f",
                     series.count, timing.best, timing.median, Double(series.count) / timing.best / 1e3, result.fills, result.finalEquity))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crossover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = URL(fileURLWithPath: reference).appendingPathComponent("crossover.c")
        guard FileManager.default.fileExists(atPath: source.path) else {
            print("C reference: \(source.path) not found; pass --reference")
            return
        }
        let binary = folder.appendingPathComponent("crossover_c").path
        guard shell("/usr/bin/env", ["gcc", "-O2", "-o", binary, source.path]) != nil else {
            print("C reference: gcc failed")
            return
        }
        var data = Data()
        for column in [series.open, series.high, series.low, series.close, series.volume] {
            column.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        }
        let dataFile = folder.appendingPathComponent("bars.f64")
        try data.write(to: dataFile)
        guard let output = shell(binary, [dataFile.path, String(repetitions)]),
              let json = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            print("C reference: no output")
            return
        }
        print("C reference: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        // The C loop's variant that also writes the equity curve is the like-for-like one.
        let cBest = Self.number(json, ["crossover_eq_best_s"])
        let cTrades = Self.number(json, ["trades_eq", "trades"])
        let cEquity = Self.number(json, ["final_equity_eq", "final_equity"])
        if let cTrades, let cEquity {
            // C prints ten decimals; equal to that precision.
            let same = Int(cTrades) == result.fills && abs(cEquity - result.finalEquity) < 1e-6
            print("same trades and final equity as the C loop: \(same ? "yes" : "NO") (C \(Int(cTrades)) / \(cEquity), Keel \(result.fills) / \(result.finalEquity))")
        }
        if let cBest {
            let ratio = cBest * 1000 / timing.best
            print(String(format: "speed vs C: %.2fx (target >= 0.2x): %@", ratio, ratio >= 0.2 ? "met" : "NOT met"))
        }
    }

    static func number(_ json: [String: Any], _ keys: [String]) -> Double? {
        for key in keys { if let value = json[key] as? NSNumber { return value.doubleValue } }
        return nil
    }

    func sweep() async {
        let series = IndicatorBenchmark.simulatedSeries(bars: 100_000)
        let grid = (2...10).flatMap { fast in stride(from: 20, through: 200, by: 20).map { (fast, $0) } }
        func run(concurrency: Int) async -> Double {
            let started = DispatchTime.now().uptimeNanoseconds
            let results = await ParameterSweep.run(grid, concurrency: concurrency) { pair -> Double in
                var strategy = MovingAverageCrossover(fast: pair.0, slow: pair.1, quantity: 100)
                var statistics = StreamingReturnStatistics()
                _ = SignalBacktester(execution: ExecutionModel(commission: .perOrder(1)), initialCash: 1e6)
                    .run(&strategy, series: series, recordEquity: false, statistics: &statistics)
                return statistics.sharpe
            }
            precondition(results.count == grid.count)
            return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        }
        _ = await run(concurrency: 2)
        let one = await bestOf(3) { await run(concurrency: 1) }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let all = await bestOf(3) { await run(concurrency: cores) }
        print(String(format: "sweep of %d (fast, slow) pairs over 100,000 bars: 1 core %.1f ms (%.0f backtests/s), %d cores %.1f ms (%.0f backtests/s); speed-up %.2fx",
                     grid.count, one * 1000, Double(grid.count) / one, cores, all * 1000, Double(grid.count) / all, one / all))
        print(String(format: "targets: >= 3,000 backtests/s: %@; >= 1.8x on 2 cores: %@", Double(grid.count) / all >= 3000 ? "met" : "NOT met",
                     one / all >= 1.8 ? "met" : "NOT met"))
    }

    func bestOf(_ n: Int, _ body: () async -> Double) async -> Double {
        var best = Double.infinity
        for _ in 0..<n { best = min(best, await body()) }
        return best
    }

    func portfolio() throws {
        var generator = SeededGenerator(seed: 500)
        let assets = (0..<500).map { i -> SimulatedAsset in
            SimulatedAsset(symbol: String(format: "S%03d", i), assetClass: .equity, startPrice: 20 + 200 * generator.nextUnit(),
                           annualDrift: 0.02 + 0.08 * generator.nextUnit(), annualVolatility: 0.15 + 0.35 * generator.nextUnit(),
                           marketBeta: 0.5 + generator.nextUnit(), averageVolume: 1e6)
        }
        let simulated = MarketSimulator(configuration: .init(seed: 7, start: CivilDay(year: 2010, month: 1, day: 1).date, calendarDays: 3653)).simulate(assets)
        let market = AlignedMarket(assets.compactMap { simulated.bars[$0.symbol] })
        let engine = PortfolioBacktester(execution: ExecutionModel(timing: .nextOpen, slippage: .fixedBasisPoints(5), commission: .schwabEquities),
                                         initialCash: 1_000_000, schedule: .monthly,
                                         constraints: PortfolioConstraints(maxPositions: 50, maxWeight: 0.05, cashBuffer: 0.02), warmUp: 252)
        let started = DispatchTime.now().uptimeNanoseconds
        let output = try engine.run(MomentumStrategy(lookback: 252, skip: 21), market: market)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let bars = market.count * assets.count
        print(String(format: "500-symbol 10-year monthly momentum backtest: %d bars in %.2f s (%.0f bars/s), %d rebalances, %d fills, final equity %.0f",
                     bars, seconds, Double(bars) / seconds, output.targets.count, output.result.fills, output.result.finalEquity))
    }

    func shell(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = Pipe()
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
