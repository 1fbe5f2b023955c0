import Foundation
import KeelStore
import Vapor

struct JobResponse: Content {
    var jobId: String
    var kind: String
    var status: String
    var progress: Double
    var progressMessage: String?
    var attempts: Int
    var maxAttempts: Int
    var runAfter: Date
    var leaseOwner: String?
    var leaseExpiresAt: Date?
    var heartbeatAt: Date?
    var cancelRequested: Bool
    /// The job's result as stored (JSON text).
    var result: String?
    var error: String?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    /// Who started the job (only they or an admin may cancel it); absent for the system's own jobs.
    var createdBy: String?

    init(_ job: JobRecord) {
        jobId = job.jobID
        kind = job.kind
        status = job.status.rawValue
        progress = job.progress
        progressMessage = job.progressMessage
        attempts = job.attempts
        maxAttempts = job.maxAttempts
        runAfter = job.runAfter
        leaseOwner = job.leaseOwner
        leaseExpiresAt = job.leaseExpiresAt
        heartbeatAt = job.heartbeatAt
        cancelRequested = job.cancelRequested
        result = job.result
        error = job.error
        createdAt = job.createdAt
        startedAt = job.startedAt
        finishedAt = job.finishedAt
        createdBy = job.createdBy
    }
}
