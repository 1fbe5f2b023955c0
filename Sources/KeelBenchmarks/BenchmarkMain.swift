import ArgumentParser

/// `swift run -c release KeelBenchmarks [indicators|import|backtest|jobs|api|gbdt]`: speed targets measured against their
/// references in the same run, printed as ratios.
@main
struct BenchmarkMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "KeelBenchmarks",
        abstract: "Keel's performance benchmarks (build with -c release).",
        subcommands: [IndicatorBenchmark.self, ImportBenchmark.self, BacktestBenchmark.self, JobsBenchmark.self, APIBenchmark.self, GBDTBenchmark.self, CycleBenchmark.self, PagesBenchmark.self, AvailabilityBenchmark.self],
        defaultSubcommand: IndicatorBenchmark.self
    )
}
