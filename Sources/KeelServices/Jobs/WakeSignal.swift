import Foundation
import KeelCore

/// Lets an enqueue in this process wake the runner at once instead of at its next poll; waiting is either
/// the clock's sleep or a signal, whichever comes first.
actor WakeSignal {
    private enum Waiter {
        case waiting(CheckedContinuation<Void, Never>)
        case done
    }

    private var pending = false
    private var waiters: [UUID: Waiter] = [:]

    nonisolated func signal() {
        Task { await self.fire() }
    }

    private func fire() {
        let waiting = waiters.compactMap { id, waiter -> (UUID, CheckedContinuation<Void, Never>)? in
            if case .waiting(let continuation) = waiter { return (id, continuation) }
            return nil
        }
        if waiting.isEmpty { pending = true; return }
        for (id, continuation) in waiting {
            waiters[id] = .done
            continuation.resume()
        }
    }

    private func wait(_ id: UUID) async {
        if pending { pending = false; return }
        if case .done = waiters[id] { return }
        await withCheckedContinuation { waiters[id] = .waiting($0) }
    }

    /// Ends the wait `id` whatever state it is in (also before it started waiting), and forgets it.
    private func release(_ id: UUID) {
        if case .waiting(let continuation) = waiters[id] {
            waiters[id] = nil
            continuation.resume()
        } else if waiters[id] == nil {
            waiters[id] = .done
            return
        }
        waiters[id] = nil
    }

    private func forget(_ id: UUID) { waiters[id] = nil }

    /// Returns after `seconds` on `clock`, on a signal, or when the task is cancelled.
    func wait(upTo seconds: TimeInterval, on clock: any KeelClock) async {
        await wait(until: clock.now().addingTimeInterval(seconds), on: clock)
    }

    /// Returns once `clock` reads `deadline`, on a signal, or when the task is cancelled.
    func wait(until deadline: Date, on clock: any KeelClock) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(until: deadline) }
            group.addTask { await self.wait(id) }
            await group.next()
            group.cancelAll()
            self.release(id)
        }
        forget(id)
    }
}
