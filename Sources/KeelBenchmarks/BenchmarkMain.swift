import ArgumentParser

/// `swift run -c release KeelBenchmarks <command>`: speed targets measured against their references in the same run,
/// printed as ratios, and the deployment gate's error rates (`gate`). Started from `main.swift`.
struct BenchmarkMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "KeelBenchmarks",
        abstract: "Keel's performance benchmarks (build with -c release).",
        subcommands: [IndicatorBenchmark.self, ImportBenchmark.self, BacktestBenchmark.self, JobsBenchmark.self, APIBenchmark.self, GBDTBenchmark.self, CycleBenchmark.self, PagesBenchmark.self, AvailabilityBenchmark.self, GateBenchmark.self, RebalanceBenchmark.self],
        defaultSubcommand: IndicatorBenchmark.self
    )
}
