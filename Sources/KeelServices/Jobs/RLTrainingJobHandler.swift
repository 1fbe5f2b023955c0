import Foundation
import KeelStore

/// `rl.train`: trains, replays and gates one RL policy version (payload `{"model_id"}`).
struct RLTrainingJobHandler: JobHandler {
    static let kind = "rl.train"

    let training: ModelTrainingService
    var kind: String { Self.kind }
    var concurrency: Int { 1 }
    var maxAttempts: Int { MLTrainingJobHandler.attempts }
    var isCPUBound: Bool { true }

    func validate(payload: String) throws {
        _ = try MLTrainingJobHandler.modelID(payload)
    }

    func run(_ job: RunningJob) async throws -> String? {
        try await training.executeRL(modelID: try MLTrainingJobHandler.modelID(job.payload), job: job)
    }

    func cancelledBeforeStart(_ job: JobRecord) async throws {
        try await training.failCancelled(try MLTrainingJobHandler.modelID(job.payload), jobID: job.jobID)
    }
}
