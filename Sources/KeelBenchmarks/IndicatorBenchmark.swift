import ArgumentParser
import Foundation
import KeelCore

/// The six-indicator suite (SMA20, EMA20, RSI14, ATR14, BB(20,2), MACD(12,26,9)) over N bars, against TA-Lib's same
/// six calls on the same data in the same run, and against the memory-bandwidth floor for the suite's bytes (3
/// columns read, 10 written), measured with memcpy in the same run. Values that differ from TA-Lib's fail the command.
struct IndicatorBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "indicators", abstract: "Indicator suite vs TA-Lib and the memory-bandwidth floor.")

    @ArgumentParser.Option(help: "Bars in the series.")
    var bars = 1_000_000

    @ArgumentParser.Option(help: "Timed repetitions (best and median are reported).")
    var repetitions = 30

    @ArgumentParser.Option(help: "A Python with TA-Lib and numpy (default: $KEEL_TALIB_PYTHON, else python3).")
    var python: String?


    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let targetTALibRatio = 2.5
    static let targetFloorRatio = 1.5

    func validate() throws {
        guard (100...10_000_000).contains(bars) else { throw ValidationError("--bars must be between 100 and 10,000,000") }
        guard (1...10_000).contains(repetitions) else { throw ValidationError("--repetitions must be between 1 and 10,000") }
    }

    func run() async throws {
        let report = BenchmarkReport(json: json)
        let series = Self.simulatedSeries(bars: bars)
        var suite = StandardIndicatorSuite(count: series.count)
        let timing = series.high.withUnsafeBufferPointer { h in
            series.low.withUnsafeBufferPointer { l in
                series.close.withUnsafeBufferPointer { c in
                    suite.compute(high: h, low: l, close: c) // warm-up: page in the outputs
                    return Timing.measure(repetitions: repetitions) { suite.compute(high: h, low: l, close: c) }
                }
            }
        }
        let checksum = Self.checksum(suite, count: series.count)
        report.line(String(format: "Keel suite over %d bars: best %.2f ms, median %.2f ms  (%.0f M bars/s; checksum %.6f)",
                           series.count, timing.best, timing.median, Double(series.count) / timing.best / 1e3, checksum))
        let floor = Self.bandwidthFloor(bytesRead: 3 * 8 * series.count, bytesWritten: 10 * 8 * series.count, repetitions: max(5, repetitions / 3))
        let floorRatio = timing.best / floor.milliseconds
        report.line(String(format: "memory-bandwidth floor for its %.0f MB (memcpy %.1f GB/s in this run): %.2f ms; Keel at %.2fx of it (target <= %.1fx): %@",
                           Double(13 * 8 * series.count) / 1e6, floor.gigabytesPerSecond, floor.milliseconds, floorRatio, Self.targetFloorRatio,
                           floorRatio <= Self.targetFloorRatio ? "met" : "NOT met"))
        // Ordinary stores read each written line first (write-allocate); memcpy's large copies do not (non-temporal
        // stores, which Swift cannot emit): the floor ordinary stores can reach reads the outputs' bytes once more.
        let writeAllocate = floor.milliseconds * Double(3 + 2 * 10) / Double(3 + 10)
        report.line(String(format: "with write-allocate (ordinary stores read each line they write): %.2f ms; Keel at %.2fx of that", writeAllocate,
                           timing.best / writeAllocate))
        var figures: [String: Any] = ["bars": series.count, "keel_best_ms": timing.best, "keel_median_ms": timing.median, "checksum": checksum,
                                      "floor_with_write_allocate_ms": writeAllocate,
                                      "floor_ms": floor.milliseconds, "memcpy_gb_per_s": floor.gigabytesPerSecond, "ratio_to_floor": floorRatio,
                                      "target_ratio_to_floor": Self.targetFloorRatio, "met_floor": floorRatio <= Self.targetFloorRatio,
                                      "target_ratio_to_talib": Self.targetTALibRatio]
        figures.merge(InstructionCount.report(.indicators, bars: series.count, to: report) { $0["checksum"] == checksum }) { _, counted in counted }

        let interpreter = python ?? ProcessInfo.processInfo.environment["KEEL_TALIB_PYTHON"] ?? "python3"
        guard let talib = try Self.talibTiming(series: series, python: interpreter, repetitions: repetitions) else {
            figures["talib"] = "not available with \(interpreter): python3 -m venv /tmp/talib && /tmp/talib/bin/pip install TA-Lib numpy, then --python /tmp/talib/bin/python"
            report.line(figures["talib"] as! String)
            report.set("indicators", figures)
            try report.finish()
            return
        }
        let ratio = talib.best / timing.best
        let same = abs(talib.checksum - checksum) <= 1e-6 * max(1, abs(checksum))
        report.check(same, "the suite's values differ from TA-Lib's")
        figures["talib_best_ms"] = talib.best
        figures["talib_median_ms"] = talib.median
        figures["ratio_to_talib"] = ratio
        figures["met_talib"] = ratio >= Self.targetTALibRatio
        figures["same_values"] = same
        report.line(String(format: "TA-Lib suite: best %.2f ms, median %.2f ms  (checksum %.6f, same values: %@)", talib.best, talib.median, talib.checksum,
                           same ? "yes" : "NO"))
        report.line(String(format: "ratio (TA-Lib / Keel, best): %.2fx  target >= %.1fx: %@", ratio, Self.targetTALibRatio, ratio >= Self.targetTALibRatio ? "met" : "NOT met"))
        report.set("indicators", figures)
        try report.finish()
    }

    /// Three of the suite's outputs at the last bar (the figure TA-Lib's run is compared on).
    static func checksum(_ suite: borrowing StandardIndicatorSuite, count: Int) -> Double {
        suite.sma[count - 1] + suite.rsi[count - 1] + suite.histogram[count - 1]
    }

    /// The time memory alone needs to read and write the suite's bytes, at the bandwidth memcpy reaches in this run
    /// (a copy reads and writes each byte: bandwidth = 2 x bytes / time, best of `repetitions`).
    static func bandwidthFloor(bytesRead: Int, bytesWritten: Int, repetitions: Int) -> (milliseconds: Double, gigabytesPerSecond: Double) {
        let size = max(bytesWritten, 1 << 20)
        let source = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        source.initializeMemory(as: UInt8.self, repeating: 1, count: size)
        target.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        let timing = Timing.measure(repetitions: repetitions) { target.copyMemory(from: source, byteCount: size) }
        let bandwidth = 2 * Double(size) / (timing.best / 1000)
        return (Double(bytesRead + bytesWritten) / bandwidth * 1000, bandwidth / 1e9)
    }

    /// A mean-reverting random walk around 100 (1.5% daily moves), so a million bars stay at realistic
    /// prices instead of compounding to astronomical ones.
    static func simulatedSeries(bars: Int) -> BarSeries {
        var generator = SeededGenerator(seed: 1)
        var series = BarSeries(symbol: "BENCH")
        series.reserveCapacity(bars)
        var logPrice = log(100.0)
        for day in 0..<bars {
            let open = exp(logPrice)
            logPrice += 0.015 * generator.nextNormal() - 0.002 * (logPrice - log(100.0))
            let close = exp(logPrice)
            let high = max(open, close) * (1 + 0.005 * abs(generator.nextNormal()))
            let low = min(open, close) * (1 - 0.005 * abs(generator.nextNormal()))
            series.append(timestamp: Date(timeIntervalSince1970: Double(day) * 86_400), open: open, high: high, low: low, close: close,
                          volume: 1e6 * exp(0.3 * generator.nextNormal()))
        }
        return series
    }

    struct TALibResult { var best: Double; var median: Double; var checksum: Double }

    /// Runs TA-Lib in a Python process on the same columns (float64 files) and reads its timings.
    static func talibTiming(series: BarSeries, python: String, repetitions: Int) throws -> TALibResult? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, column) in [("high", series.high), ("low", series.low), ("close", series.close)] {
            try column.withUnsafeBufferPointer { Data(buffer: $0) }.write(to: folder.appendingPathComponent(name))
        }
        let script = """
        import sys, time, statistics
        import numpy as np, talib
        d = sys.argv[1]; reps = int(sys.argv[2])
        h, l, c = (np.fromfile(d + '/' + n, dtype=np.float64) for n in ('high', 'low', 'close'))
        def suite():
            return (talib.SMA(c, 20), talib.EMA(c, 20), talib.RSI(c, 14), talib.ATR(h, l, c, 14),
                    talib.BBANDS(c, 20, 2, 2, 0), talib.MACD(c, 12, 26, 9))
        r = suite(); samples = []
        for _ in range(reps):
            t = time.perf_counter(); r = suite(); samples.append((time.perf_counter() - t) * 1000)
        print(min(samples), statistics.median(samples), r[0][-1] + r[2][-1] + r[5][2][-1])
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script, folder.path, String(repetitions)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        do { try process.run() } catch { return nil }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let numbers = text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard numbers.count == 3 else { return nil }
        return TALibResult(best: numbers[0], median: numbers[1], checksum: numbers[2])
    }
}
