import Foundation
import KeelStore

/// The demo's model: deploys the version the demo seeding trained, once its training job has finished. While
/// the version trains the job fails and is retried (the runner's backoff); a version that fails the gate on the
/// simulated prices is deployed as an override with that reason, recorded in the deployment history like any
/// other.
struct DemoModelDeployJobHandler: JobHandler {
    static let kind = "demo.deploy_model"
    let models: ModelRegistryService
    var kind: String { Self.kind }
    var concurrency: Int { 1 }
    var maxAttempts: Int { 12 }

    struct StillTraining: Error, CustomStringConvertible {
        var description: String { "the demo model is still training" }
    }

    func validate(payload: String) throws {
        _ = try MLTrainingJobHandler.modelID(payload)
    }

    func run(_ job: RunningJob) async throws -> String? {
        let modelID = try MLTrainingJobHandler.modelID(job.payload)
        let system = Principal(userID: "admin", role: .admin, clientID: nil)
        let model = try await models.get(modelID, by: system)
        switch model.status {
        case .training: throw StillTraining()
        case .failed: throw PermanentJobFailure("the demo model's training failed: \(model.error ?? "")")
        case .deployed, .retired: return try StoredJSON.encode(["model_id": modelID, "status": model.status.rawValue])
        case .trained:
            let reason = model.gatePassed == true ? nil : "demo book: trained on simulated prices, deployed to show the registry"
            let deployed = try await models.deploy(modelID, overrideReason: reason, by: system)
            return try StoredJSON.encode(["model_id": modelID, "status": deployed.status.rawValue])
        }
    }
}
