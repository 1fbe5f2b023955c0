import FluentKit
import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// Tells a reader whether anything was committed since it last looked, so a cached read stays valid until a
/// write could have changed it. Every committed write transaction bumps the process's counter at once; on
/// PostgreSQL it also bumps the shared sequence `keel_write_generation`, which other processes (`keel serve`,
/// `keel worker`) read at most every `remoteRefresh` seconds: their caches see a foreign write within that bound.
public final class WriteGeneration: Sendable {
    /// A point in the write history: equal stamps mean nothing was committed in between.
    public struct Stamp: Hashable, Sendable {
        public let local: UInt64
        public let remote: Int64
    }

    private struct State {
        var local: UInt64 = 0
        var remote: Int64 = 0
        var remoteReadAt: TimeInterval = 0
        /// A shared bump is scheduled and not sent yet: it will follow every commit made until it is sent.
        var bumpPending = false
    }

    /// How stale another process's view of this one's writes may be.
    public static let remoteRefresh: TimeInterval = 0.25
    static let sequence = "keel_write_generation"
    /// How long a scheduled bump waits for more commits to cover: busy writers (a cycle sending thousands of orders)
    /// share one `nextval` instead of adding a statement to every transaction.
    static let coalescing: Duration = .milliseconds(2)

    private let state = NIOLockedValueBox(State())
    private let shared: Bool

    init(shared: Bool) {
        self.shared = shared
    }

    /// After a write committed: local readers see it now, other processes within `remoteRefresh` (and the coalescing
    /// wait). A bump that is scheduled but not yet sent covers this commit, because it is sent after it; once sent,
    /// the next commit schedules another.
    func committed(on database: any Database) async {
        let schedule = state.withLockedValue { state -> Bool in
            state.local &+= 1
            guard shared, !state.bumpPending else { return false }
            state.bumpPending = true
            return true
        }
        guard schedule, let sql = database as? any SQLDatabase else { return }
        // The committer that scheduled the bump sends it (no work outlives the request), after a short wait.
        try? await Task.sleep(for: Self.coalescing)
        state.withLockedValue { $0.bumpPending = false }
        // A failed bump (the connection dropped) only delays other processes until the next commit's bump.
        _ = try? await sql.raw("SELECT nextval('\(unsafeRaw: Self.sequence)')").run()
    }

    /// The stamp to tag a read with: taken before the read, compared before the cached value is reused.
    public func stamp(on database: any Database) async -> Stamp {
        let now = ProcessInfo.processInfo.systemUptime
        let known = state.withLockedValue { $0 }
        guard shared, now - known.remoteReadAt >= Self.remoteRefresh, let sql = database as? any SQLDatabase else {
            return Stamp(local: known.local, remote: known.remote)
        }
        guard let row = try? await sql.raw("SELECT last_value FROM \(unsafeRaw: Self.sequence)").first(),
              let remote = try? row.decode(column: "last_value", as: Int64.self) else {
            // Cannot tell what others wrote: a stamp nobody else holds, so no cached value is reused.
            return Stamp(local: known.local, remote: -Int64(now * 1000))
        }
        return state.withLockedValue { current in
            current.remote = max(current.remote, remote)
            current.remoteReadAt = now
            return Stamp(local: current.local, remote: current.remote)
        }
    }
}
