import Foundation

public enum CycleStatus: String, Sendable, Codable, CaseIterable {
    case queued, running, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// One autonomous cycle: a day's pass over the selected accounts.
public struct CycleRunRecord: Sendable, Hashable {
    public var cycleID: String
    /// The trading day the cycle plans for (YYYY-MM-DD, UTC).
    public var cycleDate: String
    public var status: CycleStatus
    /// `manual` or `scheduled`.
    public var trigger: String
    public var dryRun: Bool
    public var asOf: Date
    /// The clients asked for; nil: every active client.
    public var clientIDs: [Int]?
    public var regimeSymbol: String
    public var regime: String?
    public var regimeConfidence: Double?
    public var jobID: String?
    public var accountsTotal: Int
    public var accountsDone: Int
    public var summary: String?
    public var error: String?
    public var createdBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?

    public init(cycleID: String, cycleDate: String, status: CycleStatus, trigger: String, dryRun: Bool, asOf: Date, clientIDs: [Int]?,
                regimeSymbol: String, createdBy: String, createdAt: Date) {
        self.cycleID = cycleID
        self.cycleDate = cycleDate
        self.status = status
        self.trigger = trigger
        self.dryRun = dryRun
        self.asOf = asOf
        self.clientIDs = clientIDs
        self.regimeSymbol = regimeSymbol
        self.accountsTotal = 0
        self.accountsDone = 0
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

public enum CycleStepStatus: String, Sendable, Codable, CaseIterable {
    case running, completed, skipped, failed
}

/// One step of a cycle, at the cycle's level (scope `cycle`) or one account's (scope = the account hash).
public struct CycleStepRecord: Sendable, Hashable {
    public var cycleID: String
    public var scope: String
    public var step: String
    public var sequence: Int
    public var status: CycleStepStatus
    public var inputs: String?
    public var outputs: String?
    public var error: String?
    /// How many times the step was started: more than 1 after a resume.
    public var attempts: Int
    public var startedAt: Date
    public var finishedAt: Date?
    public var durationMilliseconds: Int?
}

public enum CycleAccountStatus: String, Sendable, Codable, CaseIterable {
    case pending, running, completed, awaitingApproval = "awaiting_approval", skipped, failed

    public var isFinished: Bool { self != .pending && self != .running }
}

/// What the cycle did for one account.
public struct CycleAccountRecord: Sendable, Hashable {
    public var cycleID: String
    public var accountHash: String
    public var clientID: Int
    public var status: CycleAccountStatus
    public var strategy: String?
    public var reason: String?
    public var batchID: String?
    public var orders: Int
    public var outcome: String?
    public var jobID: String?
    /// Times a worker started this account's job (1 unless it resumed after a crash).
    public var runs: Int
    public var startedAt: Date?
    public var finishedAt: Date?
}

/// How one scope's run of a step ended (a row of `CycleRepository.endSteps`).
public struct CycleStepEnd: Sendable, Hashable {
    public var scope: String
    public var status: CycleStepStatus
    public var outputs: String?
    public var error: String?
    public var startedAt: Date
    public var durationMilliseconds: Int

    public init(scope: String, status: CycleStepStatus, outputs: String?, error: String?, startedAt: Date, durationMilliseconds: Int) {
        self.scope = scope
        self.status = status
        self.outputs = outputs
        self.error = error
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }
}
