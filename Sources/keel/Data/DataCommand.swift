import ArgumentParser

/// `keel data …`: the market-data pipeline from the command line.
struct DataCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Import, update, validate and inspect market data.",
        subcommands: [DataImportCommand.self, DataUpdateCommand.self, DataBackfillCommand.self, DataResumeCommand.self,
                       DataQualityCommand.self, DataIndicatorsCommand.self, DataSimulateCommand.self]
    )
}
