import Foundation

/// Test hook: simulates the process dying right after a step's side effects were committed and before the
/// step was recorded as done, so tests can prove every step resumes without repeating them.
public struct CycleFaults: Sendable {
    let crash: @Sendable (_ step: CycleStep, _ scope: String) async -> Bool
    /// Answers whether `step` of `scope` fails with an unexpected error (a bug, a lost database) instead.
    let fail: @Sendable (_ step: CycleStep, _ scope: String) -> Bool

    /// `crash` answers whether to die after `step` of `scope` (called once per step run; it may also act, e.g.
    /// engage the kill switch, to test what later steps do mid-cycle).
    public init(crash: @escaping @Sendable (_ step: CycleStep, _ scope: String) async -> Bool,
                fail: @escaping @Sendable (_ step: CycleStep, _ scope: String) -> Bool = { _, _ in false }) {
        self.crash = crash
        self.fail = fail
    }

    /// The unexpected error `fail` injects.
    public struct InjectedFailure: Error, CustomStringConvertible {
        public var description: String { "injected failure" }
    }
}
