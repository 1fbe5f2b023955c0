import Foundation
import KeelCore

/// One kernel run once, synchronously, for callgrind to count (`InstructionCount`): `KeelBenchmarks instruction-probe
/// engine|indicators BARS`. Only the `counted…Pass` call is counted (callgrind's `--toggle-collect`), not building the
/// series (each pattern matches one function only: callgrind toggles on every entry, so a nested match would switch
/// counting off). It prints the kernel's result so the counting parent can check it counted the run it timed.
enum InstructionProbe {
    static let command = "instruction-probe"

    enum Kernel: String {
        case engine, indicators

        /// The function callgrind counts (a pattern over its mangled name).
        var measuredFunction: String {
            switch self {
            case .engine: "*countedEnginePass*"
            case .indicators: "*countedIndicatorPass*"
            }
        }
    }

    /// Runs the probe; the exit status.
    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.count == 2, let kernel = Kernel(rawValue: arguments[0]), let bars = Int(arguments[1]), (100...10_000_000).contains(bars) else {
            FileHandle.standardError.write(Data("usage: KeelBenchmarks \(command) engine|indicators BARS (100-10,000,000)\n".utf8))
            return 2
        }
        let series = IndicatorBenchmark.simulatedSeries(bars: bars)
        let result: [String: Double]
        switch kernel {
        case .engine:
            let outcome = countedEnginePass(series)
            result = ["fills": Double(outcome.fills), "final_equity": outcome.finalEquity]
        case .indicators:
            result = ["checksum": indicatorChecksum(series)]
        }
        // "name value" lines in Swift's shortest round-trip form: the parent reads back the very doubles.
        for (name, value) in result.sorted(by: { $0.key < $1.key }) { print(name, value) }
        return 0
    }

    /// The engine as the crossover benchmark times it (`BacktestBenchmark.crossover`).
    @inline(never)
    static func countedEnginePass(_ series: BarSeries) -> BacktestResult {
        var strategy = MovingAverageCrossover(fast: 10, slow: 30, quantity: 100)
        return engine.run(&strategy, series: series)
    }

    static let engine = SignalBacktester(execution: ExecutionModel(timing: .close, commission: .perOrder(1)), initialCash: 1e6)

    /// The indicator suite as its benchmark times it (`IndicatorBenchmark.run`), the outputs allocated outside.
    static func indicatorChecksum(_ series: BarSeries) -> Double {
        var suite = StandardIndicatorSuite(count: series.count)
        series.high.withUnsafeBufferPointer { h in
            series.low.withUnsafeBufferPointer { l in
                series.close.withUnsafeBufferPointer { c in countedIndicatorPass(&suite, high: h, low: l, close: c) }
            }
        }
        return IndicatorBenchmark.checksum(suite, count: series.count)
    }

    @inline(never)
    static func countedIndicatorPass(_ suite: inout StandardIndicatorSuite, high: UnsafeBufferPointer<Double>, low: UnsafeBufferPointer<Double>,
                                  close: UnsafeBufferPointer<Double>) {
        suite.compute(high: high, low: low, close: close)
    }
}
