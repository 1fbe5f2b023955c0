import Foundation

/// How failed logins slow down further attempts, per user and per client address: a few free failures, then
/// a lockout that doubles with every further failure, up to a ceiling. Failures older than the window are
/// forgotten. Pure, so the curve is tested without a database.
public struct LoginThrottlePolicy: Sendable, Hashable {
    public var freeFailures: Int
    public var firstLockout: TimeInterval
    public var maximumLockout: TimeInterval
    public var window: TimeInterval

    public init(freeFailures: Int, firstLockout: TimeInterval = 1, maximumLockout: TimeInterval = 15 * 60, window: TimeInterval = 15 * 60) {
        self.freeFailures = freeFailures
        self.firstLockout = firstLockout
        self.maximumLockout = maximumLockout
        self.window = window
    }

    public static let perUser = LoginThrottlePolicy(freeFailures: 5)
    /// Addresses are shared (offices, NAT), so they get more room before the lockout starts.
    public static let perAddress = LoginThrottlePolicy(freeFailures: 20)

    /// Failures counted after one more failure at `now`, given the stored count and the time of the last.
    public func failures(after stored: Int, lastFailureAt: Date?, now: Date) -> Int {
        guard let lastFailureAt, now.timeIntervalSince(lastFailureAt) <= window else { return 1 }
        return stored + 1
    }

    /// How long logins are refused after `failures` failures (0 while still free).
    public func lockout(afterFailures failures: Int) -> TimeInterval {
        let beyond = failures - freeFailures
        guard beyond > 0 else { return 0 }
        let doubled = firstLockout * pow(2, Double(min(beyond - 1, 30)))
        return min(doubled, maximumLockout)
    }
}
