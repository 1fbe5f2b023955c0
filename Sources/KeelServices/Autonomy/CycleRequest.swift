import Foundation
import KeelCore
import KeelStore

/// `POST /api/autonomous/run`: which clients (all active ones when nil), as of when (now when nil), dry run or not.
public struct CycleRequest: Sendable {
    public var clientIDs: [Int]?
    public var asOf: Date?
    public var dryRun: Bool?

    public init(clientIDs: [Int]? = nil, asOf: Date? = nil, dryRun: Bool? = nil) {
        self.clientIDs = clientIDs
        self.asOf = asOf
        self.dryRun = dryRun
    }
}

/// A cycle with its steps and per-account outcomes.
public struct CycleDetail: Sendable {
    public var run: CycleRunRecord
    public var steps: [CycleStepRecord]
    public var accounts: [CycleAccountRecord]
}

/// An account's live record as the cycle stored it.
public struct AccountPerformanceReport: Sendable {
    public var accountHash: String
    public var days: [AccountPerformanceRecord]
    public var overall: LivePerformance
    public var byStrategy: [String: LivePerformance]
}

/// What `GET /api/autonomous/status` reports.
public struct AutonomyStatus: Sendable {
    public struct AccountConnectivity: Sendable {
        public var accountHash: String
        public var clientID: Int
        public var broker: String
        public var status: String
        public var halted: String?
    }

    public var lastCycle: CycleRunRecord?
    public var nextScheduled: Date?
    public var scheduled: Bool
    public var regime: StoredRegimeDay?
    public var latestBar: Date?
    public var dataAgeSeconds: Double?
    public var accounts: [AccountConnectivity]
    public var unknownOrders: Int
    public var jobQueue: [String: Int]
    public var pausedClients: [ClientControlRecord]
    public var killSwitchEngaged: Bool
    public var tradingPaused: Bool
}
