import ArgumentParser
import Foundation
import KeelCore

/// The engine against the C reference loop (same rules, same data, same run), the parameter sweep on the peer's grid
/// against numba's serial loop (same final equities), on one core and on all, and a 500-symbol portfolio backtest.
/// Every ratio is to a reference measured in this run; a result that differs from its reference fails the command.
struct BacktestBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest",
                                                    abstract: "Backtest engine vs the C crossover loop; sweeps vs numba; a 500-symbol portfolio.")

    @ArgumentParser.Option(help: "Bars for the crossover comparison.")
    var bars = 1_000_000

    @ArgumentParser.Option(help: "Timed repetitions.")
    var repetitions = 20

    @ArgumentParser.Option(name: .customLong("sweep-bars"), help: "Bars for each backtest of the sweep.")
    var sweepBars = 100_000

    @ArgumentParser.Option(help: "Symbols in the portfolio backtest.")
    var symbols = 500

    @ArgumentParser.Option(name: .customLong("reference"), help: "The folder holding crossover.c (default ../shared/bench-reference).")
    var reference = "../shared/bench-reference"

    @ArgumentParser.Option(help: "A Python with numba and numpy for the sweep's reference (default: $KEEL_NUMBA_PYTHON, else python3).")
    var python: String?


    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let targetEngineRatio = 0.9
    static let targetSweepFinalEquityRatio = 1.0
    static let targetSweepFullRatio = 0.8
    static let targetTwoCoreSpeedUp = 1.85

    func validate() throws {
        guard (100...10_000_000).contains(bars) else { throw ValidationError("--bars must be between 100 and 10,000,000") }
        guard (1...10_000).contains(repetitions) else { throw ValidationError("--repetitions must be between 1 and 10,000") }
        // The grid's slowest average needs 200 bars before its first signal.
        guard (300...10_000_000).contains(sweepBars) else { throw ValidationError("--sweep-bars must be between 300 and 10,000,000") }
        guard (1...5_000).contains(symbols) else { throw ValidationError("--symbols must be between 1 and 5,000") }
    }

    func run() async throws {
        let report = BenchmarkReport(json: json)
        try crossover(report)
        try await sweep(report)
        try portfolio(report)
        try report.finish()
    }

    func crossover(_ report: BenchmarkReport) throws {
        let series = IndicatorBenchmark.simulatedSeries(bars: bars)
        let engine = SignalBacktester(execution: ExecutionModel(timing: .close, commission: .perOrder(1)), initialCash: 1e6)
        var strategy = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
        var result = engine.run(&strategy, series: series)
        let timing = Timing.measure(repetitions: repetitions) {
            var fresh = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
            result = engine.run(&fresh, series: series)
        }
        // As a caller elsewhere runs it: through a call the compiler cannot inline, so the strategy's periods and the
        // execution model are run-time values (above they are constants, as the C loop's are). The periods depend on
        // `bars`, an option, so the compiler cannot fold them into the call either.
        var opaque = result
        let general = Timing.measure(repetitions: repetitions) { opaque = Self.runOpaque(engine, fast: bars > 0 ? 10 : 11, slow: bars > 0 ? 30 : 31, series: series) }
        report.check(opaque.fills == result.fills && opaque.finalEquity == result.finalEquity, "the engine's result depends on how it is called")
        // The round trips are paired from the fills on first read; what reading them adds.
        var trips = 0
        let withTrips = Timing.measure(repetitions: repetitions) {
            trips = Self.runOpaque(engine, fast: bars > 0 ? 10 : 11, slow: bars > 0 ? 30 : 31, series: series).trades.count
        }
        var figures: [String: Any] = ["bars": series.count, "keel_best_ms": timing.best, "keel_median_ms": timing.median, "fills": result.fills,
                                      "final_equity": result.finalEquity, "target_ratio_to_c": Self.targetEngineRatio,
                                      "keel_general_call_best_ms": general.best, "keel_with_round_trips_best_ms": withTrips.best, "round_trips": trips]
        report.line(String(format: "Keel engine, SMA(10/30) crossover over %d bars: best %.2f ms, median %.2f ms (%.0f M bars/s); %d fills, final equity %.6f",
                           series.count, timing.best, timing.median, Double(series.count) / timing.best / 1e3, result.fills, result.finalEquity))
        report.line(String(format: "  through a call not inlined: best %.2f ms; and with its %d round trips paired from the fills (read): best %.2f ms",
                           general.best, trips, withTrips.best))
        report.check(trips == result.fills / 2 || trips == (result.fills + 1) / 2, "the round trips do not pair the fills")
        defer { report.set("engine", figures) }
        figures.merge(InstructionCount.report(.engine, bars: series.count, to: report) { counted in
            counted["fills"] == Double(result.fills) && counted["final_equity"] == result.finalEquity
        }) { _, counted in counted }

        let source = URL(fileURLWithPath: reference).appendingPathComponent("crossover.c")
        guard FileManager.default.fileExists(atPath: source.path) else {
            report.line("C reference: \(source.path) not found; pass --reference")
            report.check(false, "the C reference \(source.path) is missing")
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crossover-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("crossover_c").path
        guard Self.shell("/usr/bin/env", ["gcc", "-O2", "-o", binary, source.path]) != nil else {
            report.line("C reference: gcc failed")
            report.check(false, "gcc could not build the C reference")
            return
        }
        var data = Data()
        for column in [series.open, series.high, series.low, series.close, series.volume] {
            column.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        }
        let dataFile = folder.appendingPathComponent("bars.f64")
        try data.write(to: dataFile)
        guard let output = Self.shell(binary, [dataFile.path, String(repetitions)]),
              let c = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            report.line("C reference: no output")
            report.check(false, "the C reference printed nothing")
            return
        }
        report.line("C reference: \(output.trimmingCharacters(in: .whitespacesAndNewlines))")
        // The C loop's variant that also writes the equity curve is the like-for-like one.
        let cBest = Self.number(c, ["crossover_eq_best_s"]).map { $0 * 1000 }
        let cTrades = Self.number(c, ["trades_eq", "trades"]), cEquity = Self.number(c, ["final_equity_eq", "final_equity"])
        figures["c_best_ms"] = cBest ?? NSNull()
        figures["c_median_ms"] = Self.number(c, ["crossover_eq_median_s"]).map { $0 * 1000 } ?? NSNull()
        figures["c_fills"] = cTrades ?? NSNull()
        figures["c_final_equity"] = cEquity ?? NSNull()
        // C prints ten decimals; equal to that precision.
        let same = cTrades.map { Int($0) == result.fills } == true && cEquity.map { abs($0 - result.finalEquity) < 1e-6 } == true
        figures["same_result"] = same
        report.check(same, "the engine's fills or final equity differ from the C loop's")
        report.line("same trades and final equity as the C loop: \(same ? "yes" : "NO")")
        if let cBest {
            let ratio = cBest / timing.best
            figures["ratio_to_c"] = ratio
            figures["ratio_to_c_general_call"] = cBest / general.best
            figures["ratio_to_c_with_round_trips"] = cBest / withTrips.best
            figures["met"] = ratio >= Self.targetEngineRatio
            report.line(String(format: "speed vs C (with the equity curve): %.2fx (target >= %.2fx): %@", ratio, Self.targetEngineRatio,
                               ratio >= Self.targetEngineRatio ? "met" : "NOT met"))
        }
    }

    @inline(never)
    static func runOpaque(_ engine: SignalBacktester, fast: Int, slow: Int, series: BarSeries) -> BacktestResult {
        var strategy = MovingAverageCrossover(fast: fast, slow: slow, quantity: 100)
        return engine.run(&strategy, series: series)
    }

    /// The peer's grid: fast 5-50 by 5, slow 20-200 by 20, fast < slow (90 pairs).
    static let peerGrid: [(fast: Int, slow: Int)] = stride(from: 5, through: 50, by: 5).flatMap { fast in
        stride(from: 20, through: 200, by: 20).filter { fast < $0 }.map { (fast, $0) }
    }

    func sweep(_ report: BenchmarkReport) async throws {
        let series = IndicatorBenchmark.simulatedSeries(bars: sweepBars)
        let grid = Self.peerGrid
        let engine = SignalBacktester(execution: ExecutionModel(commission: .perOrder(1)), initialCash: 1e6)
        /// Keel's full output: fills, lots and round trips, and the Sharpe ratio streamed (no curve kept).
        let full: @Sendable ((fast: Int, slow: Int)) -> Double = { pair in
            var strategy = MovingAverageCrossover(fast: pair.fast, slow: pair.slow, quantity: 100)
            var statistics = StreamingReturnStatistics()
            let result = engine.run(&strategy, series: series, recordEquity: false, statistics: &statistics)
            // Read, so the lots and round trips are paired as part of the full output.
            _ = result.trades.count
            return statistics.sharpe
        }
        /// The peer's output: the final equity.
        let finalEquity: @Sendable ((fast: Int, slow: Int)) -> Double = { pair in
            var strategy = MovingAverageCrossover(fast: pair.fast, slow: pair.slow, quantity: 100)
            return engine.run(&strategy, series: series, recordEquity: false).finalEquity
        }
        func time(concurrency: Int, _ body: @escaping @Sendable ((fast: Int, slow: Int)) -> Double) async -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let started = DispatchTime.now().uptimeNanoseconds
                let results = await ParameterSweep.run(grid, concurrency: concurrency, body)
                precondition(results.count == grid.count)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            return best
        }
        let keelEquities = grid.map(finalEquity)
        let equityOne = await time(concurrency: 1, finalEquity)
        let fullOne = await time(concurrency: 1, full)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let fullAll = await time(concurrency: cores, full)
        let rate = { (seconds: Double) in Double(grid.count) / seconds }
        var figures: [String: Any] = [
            "grid": "fast 5-50 by 5, slow 20-200 by 20, fast < slow", "pairs": grid.count, "bars": series.count, "cores": cores,
            "keel_final_equity_per_second_1_core": rate(equityOne), "keel_full_per_second_1_core": rate(fullOne),
            "keel_full_per_second_all_cores": rate(fullAll), "speed_up_all_cores": fullOne / fullAll,
            "target_final_equity_ratio": Self.targetSweepFinalEquityRatio, "target_full_ratio": Self.targetSweepFullRatio,
            "target_speed_up_2_cores": Self.targetTwoCoreSpeedUp,
        ]
        report.line(String(format: "sweep of %d pairs (the peer's grid) over %d bars, 1 core: %.0f backtests/s (final equity), %.0f/s (fills, lots, streamed Sharpe); %d cores: %.0f/s, speed-up %.2fx (target >= %.2fx on 2 cores)",
                           grid.count, series.count, rate(equityOne), rate(fullOne), cores, rate(fullAll), fullOne / fullAll, Self.targetTwoCoreSpeedUp))
        figures["met_speed_up"] = fullOne / fullAll >= Self.targetTwoCoreSpeedUp
        defer { report.set("sweep", figures) }

        let interpreter = python ?? ProcessInfo.processInfo.environment["KEEL_NUMBA_PYTHON"] ?? "python3"
        guard let numba = try Self.numbaSweep(close: series.close, grid: grid, python: interpreter) else {
            figures["numba"] = "not available with \(interpreter): python3 -m venv /tmp/bench && /tmp/bench/bin/pip install numba numpy, then --python /tmp/bench/bin/python"
            report.line(figures["numba"] as! String)
            return
        }
        let numbaRate = rate(numba.seconds)
        let same = numba.equities.count == keelEquities.count && zip(numba.equities, keelEquities).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
        report.check(same, "the sweep's final equities differ from numba's")
        figures["numba_per_second_1_core"] = numbaRate
        figures["same_final_equities"] = same
        figures["ratio_final_equity_to_numba"] = rate(equityOne) / numbaRate
        figures["ratio_full_to_numba"] = rate(fullOne) / numbaRate
        figures["met_final_equity"] = rate(equityOne) / numbaRate >= Self.targetSweepFinalEquityRatio
        figures["met_full"] = rate(fullOne) / numbaRate >= Self.targetSweepFullRatio
        report.line(String(format: "numba's serial loop: %.0f backtests/s; same final equities: %@; per core Keel/numba %.2fx final equity (target >= %.1fx), %.2fx full output (target >= %.1fx)",
                           numbaRate, same ? "yes" : "NO", rate(equityOne) / numbaRate, Self.targetSweepFinalEquityRatio, rate(fullOne) / numbaRate,
                           Self.targetSweepFullRatio))
    }

    /// numba's serial loop over the grid on the same closes (the rules of crossover.c): best of three, final equities.
    static func numbaSweep(close: [Double], grid: [(fast: Int, slow: Int)], python: String) throws -> (seconds: Double, equities: [Double])? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-numba-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let closeFile = folder.appendingPathComponent("close.f64")
        try close.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: closeFile)
        let script = """
        import sys, json, time
        import numpy as np
        from numba import njit
        c = np.fromfile(sys.argv[1], dtype=np.float64)
        pairs = np.array(json.loads(sys.argv[2]), dtype=np.int64)
        @njit(cache=False)
        def run(c, fast, slow):
            n = c.shape[0]; sf = 0.0; ss = 0.0; cash = 1e6; pos = 0.0
            for t in range(n):
                x = c[t]; sf += x; ss += x
                if t >= fast: sf -= c[t - fast]
                if t >= slow: ss -= c[t - slow]
                if t >= slow - 1 and t <= n - 2:
                    sig = (sf / fast) > (ss / slow)
                    if sig and pos == 0.0:
                        pos = 100.0; cash -= 100.0 * x + 1.0
                    elif (not sig) and pos > 0.0:
                        cash += 100.0 * x - 1.0; pos = 0.0
            return cash + pos * c[n - 1]
        @njit(cache=False)
        def sweep(c, pairs):
            out = np.empty(pairs.shape[0])
            for i in range(pairs.shape[0]):
                out[i] = run(c, pairs[i, 0], pairs[i, 1])
            return out
        out = sweep(c, pairs)
        best = float('inf')
        for _ in range(3):
            t = time.perf_counter(); out = sweep(c, pairs); best = min(best, time.perf_counter() - t)
        print(json.dumps({"seconds": best, "equities": [float(v) for v in out]}))
        """
        let pairs = "[" + grid.map { "[\($0.fast),\($0.slow)]" }.joined(separator: ",") + "]"
        guard let output = shell("/usr/bin/env", [python, "-c", script, closeFile.path, pairs]),
              let parsed = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
              let seconds = (parsed["seconds"] as? NSNumber)?.doubleValue, let equities = parsed["equities"] as? [NSNumber] else { return nil }
        return (seconds, equities.map(\.doubleValue))
    }

    func portfolio(_ report: BenchmarkReport) throws {
        var generator = SeededGenerator(seed: 500)
        let assets = (0..<symbols).map { i -> SimulatedAsset in
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
        report.check(output.result.finalEquity.isFinite && output.result.finalEquity > 0, "the portfolio backtest's final equity is not a positive number")
        report.set("portfolio", ["symbols": assets.count, "bars": bars, "seconds": seconds, "bars_per_second": Double(bars) / seconds,
                                 "rebalances": output.targets.count, "fills": output.result.fills, "final_equity": output.result.finalEquity])
        report.line(String(format: "%d-symbol 10-year monthly momentum backtest: %d bars in %.2f s (%.0f bars/s), %d rebalances, %d fills, final equity %.0f",
                           assets.count, bars, seconds, Double(bars) / seconds, output.targets.count, output.result.fills, output.result.finalEquity))
    }

    static func number(_ json: [String: Any], _ keys: [String]) -> Double? {
        for key in keys { if let value = json[key] as? NSNumber { return value.doubleValue } }
        return nil
    }

    static func shell(_ executable: String, _ arguments: [String]) -> String? {
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
