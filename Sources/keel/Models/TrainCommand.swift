import ArgumentParser
import Foundation
import KeelServices
import KeelStore

/// `keel train ml|rl`: starts a training job, and with `--wait` runs it here with a progress bar.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train an ML predictor or an RL policy.",
                                                    subcommands: [TrainMLCommand.self, TrainRLCommand.self])
}

enum PredictorTypeOption: String, ExpressibleByArgument, CaseIterable {
    case ridge, gbdt
}

/// What both trainings share on the command line.
struct TrainingOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Comma-separated symbols (or --portfolio-id).") var symbols: String?
    @Option(help: "A model portfolio whose universe is trained on.") var portfolioId: Int?
    @Option(help: "First day, YYYY-MM-DD.") var from: String
    @Option(help: "Last day, YYYY-MM-DD.") var to: String
    @Option(help: "Seed (same data, settings and seed: same artifact).") var seed: Int64 = 1
    @Option(name: .customLong("param"), help: "A model parameter as name=value (repeatable), e.g. --param trees=200.") var parameters: [String] = []
    @Flag(help: "Run the job in this process and wait for it, with a progress bar.") var wait = false
    @Flag(help: "Print JSON.") var json = false

    func parsedParameters() throws -> [String: Double] {
        var result: [String: Double] = [:]
        for text in parameters {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1]) else { throw ValidationError("--param \(text): write name=number, e.g. trees=200") }
            result[parts[0]] = value
        }
        return result
    }

    var symbolList: [String]? { symbols.map { $0.split(separator: ",").map { String($0) } } }

    /// Submits, then (with --wait) follows the job until it finishes; prints the outcome.
    func follow(_ submit: @escaping @Sendable (KeelServices) async throws -> ModelTrainingService.Submitted) async throws {
        let wait = self.wait, json = self.json
        let outcome = try await CLIApplication.run(database: database, worker: wait) { services -> (ModelTrainingService.Submitted, MLModelRecord?) in
            let submitted = try await submit(services)
            guard wait else { return (submitted, nil) }
            let bar = ProgressBar()
            while true {
                let job = try await services.jobs.get(submitted.jobID, by: ModelsCommand.cliOperator)
                bar.update(done: Int(job.progress * 100), total: 100, item: job.progressMessage ?? job.status.rawValue)
                if job.status.isFinished { break }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            bar.update(done: 100, total: 100, item: "done")
            return (submitted, try await services.models.get(submitted.modelID, by: ModelsCommand.cliOperator))
        }
        if let model = outcome.1 {
            ModelsCommand.show(model, json: json)
        } else if json {
            ModelsCommand.printJSON(["model_id": outcome.0.modelID, "job_id": outcome.0.jobID, "version": outcome.0.version])
        } else {
            print("queued \(outcome.0.version) (model \(outcome.0.modelID)), job \(outcome.0.jobID): a `keel worker` or `keel serve` runs it; `keel models show \(outcome.0.modelID)`")
        }
    }
}

struct TrainMLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ml", abstract: "Train a return predictor (walk-forward evaluated, gated).")

    @Option(help: "The model type.") var modelType: PredictorTypeOption
    @Option(help: "Forward-return horizon in trading days (1-120).") var horizonDays = 20
    @OptionGroup var options: TrainingOptions

    func run() async throws {
        let request = MLTrainingRequest(modelType: modelType.rawValue, symbols: options.symbolList, portfolioId: options.portfolioId, from: options.from,
                                        to: options.to, horizonDays: horizonDays, params: try options.parsedParameters(), seed: options.seed)
        try await options.follow { try await $0.training.submit(request, by: ModelsCommand.cliOperator, jobs: $0.jobs) }
    }
}

struct TrainRLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rl", abstract: "Train an RL allocation policy (replayed out of sample, gated).")

    @Option(help: "Training episodes (1-100,000).") var episodes = 400
    @OptionGroup var options: TrainingOptions

    func run() async throws {
        let request = RLTrainingRequest(symbols: options.symbolList, portfolioId: options.portfolioId, from: options.from, to: options.to,
                                        episodes: episodes, params: try options.parsedParameters(), seed: options.seed)
        try await options.follow { try await $0.training.submit(request, by: ModelsCommand.cliOperator, jobs: $0.jobs) }
    }
}
