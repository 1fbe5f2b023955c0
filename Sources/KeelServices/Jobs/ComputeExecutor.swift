import Foundation
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// The threads CPU-bound work runs on (training, walk-forward evaluation, backtests, the RL policy's episodes):
/// a bounded pool of its own, apart from Swift's cooperative pool that serves HTTP, heartbeats and the ledger.
/// On a 2-core machine two heavy trainings would otherwise hold both cooperative threads and nothing else,
/// `/health` included, would run. Work beyond the pool's threads waits its turn in the pool's queue; a task
/// cancelled while it waits never starts. Work that is running stops only at its own `CancellationCheck`.
public final class ComputeExecutor: Sendable {
    public let threads: Int
    private let pool: NIOThreadPool
    private let counters = LockedValue(Counters())

    struct Counters {
        var running = 0
        var waiting = 0
    }

    /// One thread fewer than the machine has cores (at least one), so the cooperative pool keeps a core.
    public static var defaultThreads: Int { max(1, ProcessInfo.processInfo.activeProcessorCount - 1) }

    /// The process's default executor, for command-line tools and anything built without a configured one.
    public static let shared = ComputeExecutor(threads: defaultThreads)

    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Runs `work` on a compute thread and returns its result to the caller's task.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let counters = self.counters, began = LockedValue(false)
        counters.update { $0.waiting += 1 }
        // Cancelled while waiting: the closure never runs, so the wait is undone here.
        defer { if !began.value { counters.update { $0.waiting -= 1 } } }
        return try await pool.runIfActive {
            Self.yieldToRequests()
            began.update { $0 = true }
            counters.update { $0.waiting -= 1; $0.running += 1 }
            defer { counters.update { $0.running -= 1 } }
            return try work()
        }
    }

    /// The nice value of a compute thread: when training and requests want the same core, the kernel gives it to
    /// the requests (a niced thread still takes every cycle nobody else wants).
    public static let niceness: Int32 = 10

    /// Lowers the calling compute thread's priority (Linux keeps a nice value per thread; `who` 0 is the caller).
    static func yieldToRequests() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        #endif
    }

    /// Work on the threads now, and work waiting for one.
    public var load: (running: Int, waiting: Int) {
        let value = counters.value
        return (value.running, value.waiting)
    }

    /// Lets running work end (it stops at its next checkpoint once its job is interrupted) and stops the threads.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
