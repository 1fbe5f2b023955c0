import Foundation

public enum JobStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled

    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One job as stored.
public struct JobRecord: Sendable, Hashable {
    public var jobID: String
    public var kind: String
    public var payload: String
    public var status: JobStatus
    public var progress: Double
    public var progressMessage: String?
    public var attempts: Int
    public var maxAttempts: Int
    public var runAfter: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var heartbeatAt: Date?
    public var cancelRequested: Bool
    public var result: String?
    public var error: String?
    public var idempotencyKey: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// Who started the job; nil for the system's own (duties, the cycle's jobs).
    public var createdBy: String?
}

/// What a caller asks to run.
public struct NewJob: Sendable, Hashable {
    public var kind: String
    public var payload: String
    public var maxAttempts: Int
    public var runAfter: Date
    public var idempotencyKey: String?
    public var createdBy: String?

    public init(kind: String, payload: String, maxAttempts: Int, runAfter: Date, idempotencyKey: String? = nil, createdBy: String? = nil) {
        self.kind = kind
        self.payload = payload
        self.maxAttempts = maxAttempts
        self.runAfter = runAfter
        self.idempotencyKey = idempotencyKey
        self.createdBy = createdBy
    }
}
