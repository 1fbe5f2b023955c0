import ArgumentParser
import Foundation
import KeelServices

/// Starts a pipeline run from the command line, shows its progress, reports it, and fails the command when it failed.
func runPipeline(mode: PipelineMode, source: SourceOptions, parameters: PipelineParameters = PipelineParameters(),
                 database: DatabaseOptions, requireCSV: Bool) async throws {
    let run = try await CLIApplication.run(database: database) { services in
        let pipeline = services.pipeline
        let provider = try source.provider(clock: services.context.clock, requireCSV: requireCSV, schwab: services.schwab)
        let started = try await pipeline.start(mode: mode, provider: provider, parameters: parameters, by: "cli")
        let bar = ProgressBar()
        return try await pipeline.execute(started.runID) { bar.update(done: $0, total: $1, item: $2) }
    }
    RunReport.print(run)
    if run.status == .failed { throw ExitCode.failure }
}

struct DataImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import bars (and fundamentals) from CSV files.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var source: SourceOptions

    func run() async throws {
        try await runPipeline(mode: .full, source: source, database: database, requireCSV: true)
    }
}

struct DataUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "update",
                                                    abstract: "Add only the bars newer than the last stored per symbol (simulator unless --csv).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var source: SourceOptions

    func run() async throws {
        try await runPipeline(mode: .incremental, source: source, database: database, requireCSV: false)
    }
}

struct DataBackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backfill",
                                                    abstract: "Add bars of a date range that lie before what is stored (simulator unless --csv).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var source: SourceOptions

    @ArgumentParser.Option(help: "First day of the range (YYYY-MM-DD).")
    var from: String

    @ArgumentParser.Option(help: "Last day of the range (YYYY-MM-DD).")
    var to: String

    func run() async throws {
        let parameters = PipelineParameters(from: try parseDate(from, option: "--from"), to: try parseDate(to, option: "--to").addingTimeInterval(86_399))
        try await runPipeline(mode: .backfill, source: source, parameters: parameters, database: database, requireCSV: false)
    }
}

struct DataResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Continue a failed run from where it stopped.")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The run id printed by the failed run.")
    var runID: String

    func run() async throws {
        let run = try await CLIApplication.run(database: database) { services in
            let bar = ProgressBar()
            return try await services.pipeline.resume(runID) { bar.update(done: $0, total: $1, item: $2) }
        }
        RunReport.print(run)
        if run.status == .failed { throw ExitCode.failure }
    }
}
