import Foundation

/// The source of "now" for every time-dependent rule (approval expiry, token expiry, bar freshness), and of
/// every wait (timers, retry back-off, leases). Injected so tests can move time instead of sleeping.
public protocol KeelClock: Sendable {
    func now() -> Date
    /// Suspends until the clock has moved `seconds` on; throws `CancellationError` when the task is cancelled.
    func sleep(for seconds: TimeInterval) async throws
    /// Suspends until the clock reads `deadline` or later.
    func sleep(until deadline: Date) async throws
}

extension KeelClock {
    public func sleep(until deadline: Date) async throws {
        try await sleep(for: deadline.timeIntervalSince(now()))
    }
}

public struct SystemClock: KeelClock {
    public init() {}
    public func now() -> Date { Date() }

    public func sleep(for seconds: TimeInterval) async throws {
        guard seconds > 0 else { try Task.checkCancellation(); return }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1_000_000_000))
    }
}
