import ArgumentParser

/// The one entry point, `keel <command>` (`serve` when none is given; `keel --help` lists them all). A type with
/// `@main`, not main.swift, so Vapor's async overloads are the ones chosen and awaited.
@main
struct Entrypoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Keel: portfolio management and automated trading.",
        subcommands: [ServeCommand.self, WorkerCommand.self, JobsCommand.self, TrainCommand.self, ModelsCommand.self, RegimeCommand.self, CycleCommand.self, MigrateCommand.self, DataCommand.self, BacktestCommand.self, SweepCommand.self, SandboxCommand.self, SchwabCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
