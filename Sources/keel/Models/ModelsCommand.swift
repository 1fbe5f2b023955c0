import ArgumentParser
import Foundation
import KeelML
import KeelServices
import KeelStore

/// `keel models list|show|deploy|rollback`: the model registry from the command line.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List, show, deploy and roll back model versions.",
                                                    subcommands: [ModelsListCommand.self, ModelsShowCommand.self, ModelsDeployCommand.self, ModelsRollbackCommand.self])

    static let cliOperator = Principal(userID: "cli", role: .admin, clientID: nil)

    static func summary(_ model: MLModelRecord) -> [String: Any] {
        var result: [String: Any] = ["model_id": model.modelID, "family": model.family.rawValue, "model_type": model.modelType,
                                     "version": model.version, "status": model.status.rawValue,
                                     "created_at": ISO8601DateFormatter().string(from: model.createdAt)]
        if let passed = model.gatePassed { result["gate_passed"] = passed }
        if let sha = model.artifactSHA256 { result["artifact_sha256"] = sha }
        if let error = model.error { result["error"] = error }
        return result
    }

    static func show(_ model: MLModelRecord, json: Bool) {
        var detail = summary(model)
        if let gate = model.gate, let object = try? JSONSerialization.jsonObject(with: Data(gate.utf8)) { detail["gate"] = object }
        if let metrics = model.metrics, let object = evaluation(metrics, family: model.family) { detail["evaluation"] = object }
        detail["training_job_id"] = model.trainingJobID
        if json { printJSON(detail); return }
        print("\(model.version)  \(model.status.rawValue)  (\(model.modelID))")
        if let passed = model.gatePassed { print("  gate: \(passed ? "passed" : "failed")") }
        if let gate = model.gate, let verdict = try? JSONSerialization.jsonObject(with: Data(gate.utf8)) as? [String: Any],
           let reasons = verdict["reasons"] as? [String] {
            for reason in reasons { print("    \(reason)") }
        }
        if let sha = model.artifactSHA256 { print("  artifact sha256: \(sha)") }
        if let error = model.error { print("  error: \(error)") }
    }

    /// The stored evaluation in the API's spelling (snake_case keys).
    static func evaluation(_ stored: String, family: ModelFamily) -> Any? {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        let data: Data?
        switch family {
        case .ml: data = (try? StoredJSON.decode(EvaluationReport.self, stored)).flatMap { try? encoder.encode($0) }
        case .rl: data = (try? StoredJSON.decode(PolicyReport.self, stored)).flatMap { try? encoder.encode($0) }
        }
        return data.flatMap { try? JSONSerialization.jsonObject(with: $0) }
    }

    static func printJSON(_ value: Any) {
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) { print(String(decoding: data, as: UTF8.self)) }
    }
}

enum FamilyOption: String, ExpressibleByArgument, CaseIterable {
    case ml, rl
}

enum ModelStatusOption: String, ExpressibleByArgument, CaseIterable {
    case training, trained, deployed, retired, failed
}

struct ModelsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Model versions, newest first.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Only this family.") var family: FamilyOption?
    @Option(help: "Only versions in this status.") var status: ModelStatusOption?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let models = try await CLIApplication.run(database: database) {
            try await $0.models.list(family: family?.rawValue, status: status?.rawValue, limit: 100, by: ModelsCommand.cliOperator)
        }
        if json { ModelsCommand.printJSON(models.map(ModelsCommand.summary)); return }
        if models.isEmpty { print("no model versions") }
        for model in models {
            let gate = model.gatePassed.map { $0 ? "gate passed" : "gate failed" } ?? ""
            print("\(model.version.padding(toLength: 18, withPad: " ", startingAt: 0)) \(model.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(gate.padding(toLength: 12, withPad: " ", startingAt: 0)) \(model.modelID)")
        }
    }
}

struct ModelsShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "One version: gate, evaluation and lineage.")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The model id.") var modelID: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let model = try await CLIApplication.run(database: database) { try await $0.models.get(modelID, by: ModelsCommand.cliOperator) }
        ModelsCommand.show(model, json: json)
    }
}

struct ModelsDeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deploy", abstract: "Deploy a version that passed its gate (or override with a reason).")

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The model id.") var modelID: String
    @Option(help: "Deploy although the gate failed, for this audited reason.") var overrideReason: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let model = try await CLIApplication.run(database: database) {
            try await $0.models.deploy(modelID, overrideReason: overrideReason, by: ModelsCommand.cliOperator)
        }
        ModelsCommand.show(model, json: json)
    }
}

struct ModelsRollbackCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rollback", abstract: "Deploy again the version the family's last deployment replaced.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The family to roll back.") var family: FamilyOption
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let model = try await CLIApplication.run(database: database) { try await $0.models.rollback(family: family.rawValue, by: ModelsCommand.cliOperator) }
        ModelsCommand.show(model, json: json)
    }
}
