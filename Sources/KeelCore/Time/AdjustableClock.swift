import Foundation
import Synchronization

/// A clock tests can set and advance; thread-safe so concurrent requests read one consistent time. A sleep
/// on it ends when the clock is advanced past its deadline (or its task is cancelled), never by real time.
public final class AdjustableClock: KeelClock {
    private struct Sleeper {
        var deadline: Date
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [UUID: Sleeper] = [:]
    }

    private let state: Mutex<State>

    public init(_ start: Date) { state = Mutex(State(now: start)) }

    public func now() -> Date { state.withLock { $0.now } }

    public func advance(by seconds: TimeInterval) {
        wake(state.withLock { state in
            state.now = state.now.addingTimeInterval(seconds)
            return Self.takeDue(&state)
        })
    }

    public func set(_ date: Date) {
        wake(state.withLock { state in
            state.now = date
            return Self.takeDue(&state)
        })
    }

    /// Sleepers currently waiting (tests wait for a worker to be idle before moving time).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for seconds: TimeInterval) async throws {
        try await sleep(deadline: { $0.addingTimeInterval(seconds) })
    }

    /// An absolute deadline: a sleep that starts after the clock was moved past it returns at once.
    public func sleep(until deadline: Date) async throws {
        try await sleep(deadline: { _ in deadline })
    }

    private func sleep(deadline: (Date) -> Date) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // Checked under the lock: a cancellation that ran its handler before this registered must not strand it.
                let immediate: Bool = state.withLock { state in
                    let due = deadline(state.now)
                    if due <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: due, continuation: continuation)
                    return false
                }
                if immediate { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }

    private static func takeDue(_ state: inout State) -> [Sleeper] {
        let due = state.sleepers.filter { $0.value.deadline <= state.now }
        for id in due.keys { state.sleepers[id] = nil }
        return Array(due.values)
    }

    private func wake(_ sleepers: [Sleeper]) {
        for sleeper in sleepers { sleeper.continuation.resume() }
    }
}
