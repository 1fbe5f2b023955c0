import Foundation

/// How a worker runs jobs: its lease (renewed every third of it), poll interval, parallelism, retry back-off,
/// the grace it gives running jobs at shutdown, and how often a running job's watcher looks for a cancel asked
/// from another process and writes the progress its work noted.
public struct JobRunnerSettings: Sendable, Hashable {
    public var lease: TimeInterval
    public var pollInterval: TimeInterval
    public var maxParallel: Int
    public var retryBase: TimeInterval
    public var retryCeiling: TimeInterval
    public var shutdownGrace: TimeInterval
    public var watchInterval: TimeInterval

    public init(lease: TimeInterval = 30, pollInterval: TimeInterval = 1, maxParallel: Int = 4, retryBase: TimeInterval = 2,
                retryCeiling: TimeInterval = 600, shutdownGrace: TimeInterval = 10, watchInterval: TimeInterval = 1) {
        self.lease = lease
        self.pollInterval = pollInterval
        self.maxParallel = maxParallel
        self.retryBase = retryBase
        self.retryCeiling = retryCeiling
        self.shutdownGrace = shutdownGrace
        self.watchInterval = watchInterval
    }

    /// The wait before retry `attempt` (1-based): base x 2^(attempt-1), capped.
    public func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        min(retryCeiling, retryBase * pow(2, Double(min(max(attempt - 1, 0), 30))))
    }
}

/// A duty that runs every `interval` as its own job kind: its own schedule, failures and history.
public struct PeriodicDuty: Sendable, Hashable {
    public var kind: String
    public var interval: TimeInterval

    public static let reconcile = "duty.reconcile"
    public static let schwabTokenWatch = "duty.schwab_token_watch"
    public static let goalRemeasure = "duty.goal_remeasure"
    public static let webhookDelivery = "duty.webhook_delivery"
    /// Starts the day's autonomous cycle once it is due (does nothing unless the cycle is scheduled).
    public static let cycleSchedule = "duty.cycle_schedule"

    /// Every duty's kind starts with this: the system's own jobs, never cancelled by a user.
    public static let kindPrefix = "duty."

    public static func isDuty(_ kind: String) -> Bool { kind.hasPrefix(kindPrefix) }

    /// The server's duties: reconciliation and the token watch every `interval`, goals as often, webhooks every 5 s.
    public static func standard(interval: TimeInterval) -> [PeriodicDuty] {
        [PeriodicDuty(kind: reconcile, interval: interval), PeriodicDuty(kind: schwabTokenWatch, interval: interval),
         PeriodicDuty(kind: goalRemeasure, interval: interval), PeriodicDuty(kind: webhookDelivery, interval: min(interval, 5)),
         PeriodicDuty(kind: cycleSchedule, interval: min(interval, 60))]
    }

    public init(kind: String, interval: TimeInterval) {
        self.kind = kind
        self.interval = interval
    }
}
