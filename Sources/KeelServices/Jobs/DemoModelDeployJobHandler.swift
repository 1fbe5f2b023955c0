import Foundation
import KeelML
import KeelStore

/// The demo's model: deploys the version the demo seeding trained, once its training job has finished, if and
/// only if it passed the gate. While the version trains the job fails and is retried (the runner's backoff). The
/// demo teaches what Keel does with real money: a version the gate refuses is not deployed (no override), the
/// labelled momentum baseline keeps serving, and the job's result and the log say why.
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
            guard model.gatePassed == true else {
                let reasons = model.gate.flatMap { try? StoredJSON.decode(GateVerdict.self, $0) }?.reasons.joined(separator: "; ") ?? "no verdict"
                let why = "\(model.version) did not pass the deployment gate on the demo's simulated prices (\(reasons)); it is not deployed and the labelled momentum baseline serves"
                models.context.logger.notice("demo book: \(why)")
                return try StoredJSON.encode(["model_id": modelID, "status": "not_deployed", "reason": why])
            }
            let deployed = try await models.deploy(modelID, overrideReason: nil, by: system)
            return try StoredJSON.encode(["model_id": modelID, "status": deployed.status.rawValue])
        }
    }
}
