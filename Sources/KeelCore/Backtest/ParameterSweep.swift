import Foundation

/// Runs one backtest per parameter set across the cores (structured concurrency: one task per core), and ranks the
/// results. Each task takes every `workers`-th set, not a contiguous share: grids are ordered (short periods first,
/// which trade most), so contiguous shares leave one core finishing alone.
public enum ParameterSweep {
    public static func run<P: Sendable, R: Sendable>(_ parameters: [P], concurrency: Int = ProcessInfo.processInfo.activeProcessorCount,
                                                     _ body: @escaping @Sendable (P) -> R) async -> [R] {
        let workers = max(1, min(concurrency, parameters.count))
        guard !parameters.isEmpty else { return [] }
        return await withTaskGroup(of: (Int, [R]).self) { group in
            for worker in 0..<workers {
                let share = Array(stride(from: worker, to: parameters.count, by: workers).map { parameters[$0] })
                group.addTask { (worker, share.map(body)) }
            }
            var parts = [[R]](repeating: [], count: workers)
            for await (worker, results) in group { parts[worker] = results }
            // Back in the grid's order: set i is the (i / workers)-th result of worker i % workers.
            return (0..<parameters.count).map { parts[$0 % workers][$0 / workers] }
        }
    }
}

/// Rolling or expanding train/test windows over bar indices, for out-of-sample evaluation.
public struct WalkForward: Sendable {
    public enum Mode: String, Sendable, Codable { case rolling, expanding }

    public struct Window: Sendable, Hashable, Codable {
        public var trainStart: Int
        public var trainEnd: Int
        public var testStart: Int
        public var testEnd: Int
    }

    public struct Result: Sendable {
        public var windows: [Window]
        public var perWindow: [PerformanceMetrics]
        /// The test segments' returns chained into one out-of-sample equity curve, starting at 1.
        public var stitchedEquity: [Double]
        public var stitchedMetrics: PerformanceMetrics
    }

    public var train: Int
    public var test: Int
    public var mode: Mode

    public init(train: Int, test: Int, mode: Mode = .rolling) {
        self.train = train
        self.test = test
        self.mode = mode
    }

    /// Windows over `count` bars: train on [trainStart, trainEnd), test on [testStart, testEnd), stepping by `test`.
    public func windows(count: Int) -> [Window] {
        guard train > 0, test > 0 else { return [] }
        var out: [Window] = []
        var testStart = train
        while testStart + test <= count {
            out.append(Window(trainStart: mode == .rolling ? testStart - train : 0, trainEnd: testStart, testStart: testStart, testEnd: testStart + test))
            testStart += test
        }
        return out
    }

    /// `evaluate` trains on a window's train range and returns the equity curve over its test range.
    public func run(count: Int, _ evaluate: (Window) -> [Double]) -> Result {
        let windows = windows(count: count)
        var perWindow: [PerformanceMetrics] = []
        var stitched: [Double] = [1]
        for window in windows {
            let equity = evaluate(window)
            perWindow.append(PerformanceMetrics(equity: equity))
            for r in PerformanceMetrics.returns(equity) { stitched.append(stitched[stitched.count - 1] * (1 + r)) }
        }
        return Result(windows: windows, perWindow: perWindow, stitchedEquity: stitched, stitchedMetrics: PerformanceMetrics(equity: stitched))
    }
}
