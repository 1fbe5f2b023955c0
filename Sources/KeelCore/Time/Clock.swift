import Foundation

/// The source of "now" for every time-dependent rule (approval expiry, token expiry, bar freshness).
/// Injected so tests can move time instead of sleeping.
public protocol KeelClock: Sendable {
    func now() -> Date
}

public struct SystemClock: KeelClock {
    public init() {}
    public func now() -> Date { Date() }
}
