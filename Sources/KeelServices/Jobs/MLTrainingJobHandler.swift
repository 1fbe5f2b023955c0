import Foundation
import KeelStore

/// `ml.train`: trains and evaluates one model version (payload `{"model_id"}`).
struct MLTrainingJobHandler: JobHandler {
    static let kind = "ml.train"
    static let attempts = 2

    let training: ModelTrainingService
    var kind: String { Self.kind }
    var concurrency: Int { 1 }
    var maxAttempts: Int { Self.attempts }
    var isCPUBound: Bool { true }

    func validate(payload: String) throws {
        _ = try Self.modelID(payload)
    }

    static func modelID(_ payload: String) throws -> String {
        guard let decoded = try? StoredJSON.decode([String: String].self, payload), let id = decoded["model_id"], !id.isEmpty else {
            throw ServiceError.invalid("payload", "an ml.train job needs {\"model_id\"}")
        }
        return id
    }

    func run(_ job: RunningJob) async throws -> String? {
        try await training.execute(modelID: try Self.modelID(job.payload), job: job)
    }

    func cancelledBeforeStart(_ job: JobRecord) async throws {
        try await training.failCancelled(try Self.modelID(job.payload), jobID: job.jobID)
    }
}
