import Foundation
import KeelStore

/// Runs a stored pipeline run as a job. The run commits its cursor after every symbol, so a job retried after
/// its worker died continues where the run stopped; a cancelled job leaves the run failed and resumable.
struct PipelineJobHandler: JobHandler {
    struct Payload: Codable, Sendable {
        var runId: String
    }

    struct Outcome: Encodable {
        var runID: String
        var status: String
        var cursor: Int

        enum CodingKeys: String, CodingKey { case runID = "run_id", status, cursor }
    }

    let pipeline: PipelineService
    var kind: String { "pipeline.run" }
    var concurrency: Int { 2 }
    var maxAttempts: Int { 3 }

    func validate(payload: String) throws { _ = try Self.decode(payload) }

    static func decode(_ payload: String) throws -> Payload {
        do {
            return try BacktestOutcome.decoder.decode(Payload.self, from: Data(payload.utf8))
        } catch {
            throw ServiceError.invalid("payload", "a pipeline job needs {\"run_id\"}: \(error)")
        }
    }

    func run(_ job: RunningJob) async throws -> String? {
        let payload = try Self.decode(job.payload)
        let run = try await pipeline.execute(payload.runId, progress: { done, total, item in
            await job.progress(total == 0 ? 1 : Double(done) / Double(total), item.isEmpty ? nil : item)
        }, checkpoint: { try job.checkpoint() })
        return try StoredJSON.encode(Outcome(runID: run.runID, status: run.status.rawValue, cursor: run.cursor))
    }
}
