import Foundation
import KeelStore
import NIOConcurrencyHelpers

/// Hot reads (token checks, portfolio health, client records) served from memory while nothing was written:
/// each value is tagged with the database's write stamp taken before it was read, and reused only while the
/// stamp is unchanged and the value is younger than its time limit. Any committed write in this process expires
/// every entry at once; on PostgreSQL a write by another process does within `WriteGeneration.remoteRefresh`.
public final class ReadCache: Sendable {
    public enum Key: Hashable, Sendable {
        case token(digest: String)
        case portfolioHealth(clientID: Int)
        case client(clientID: Int)
    }

    private struct Entry {
        var stamp: WriteGeneration.Stamp
        var storedAt: Date
        var value: any Sendable
    }

    private struct InFlight {
        var stamp: WriteGeneration.Stamp
        var task: Task<any Sendable, any Error>
    }

    private let entries = NIOLockedValueBox<[Key: Entry]>([:])
    private let inFlight = NIOLockedValueBox<[Key: InFlight]>([:])
    private let capacity: Int

    public init(capacity: Int = 50_000) {
        self.capacity = capacity
    }

    /// The cached value for `key`, or `compute()`'s, stored for the next caller when `keep` says so. Callers that
    /// miss at once share one computation (no stampede of identical reads when an entry expires under load).
    func value<Value: Sendable>(_ key: Key, maxAge: TimeInterval, database: KeelDatabase, now: Date,
                                keep: @escaping @Sendable (Value) -> Bool = { _ in true },
                                compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let stamp = await database.writeStamp()
        if let entry = entries.withLockedValue({ $0[key] }), entry.stamp == stamp,
           now.timeIntervalSince(entry.storedAt) < maxAge, now >= entry.storedAt, let value = entry.value as? Value {
            return value
        }
        let (task, owner) = inFlight.withLockedValue { running -> (Task<any Sendable, any Error>, Bool) in
            if let shared = running[key], shared.stamp == stamp { return (shared.task, false) }
            let task = Task<any Sendable, any Error> { try await compute() }
            running[key] = InFlight(stamp: stamp, task: task)
            return (task, true)
        }
        let result: any Sendable
        do {
            result = try await task.value
        } catch {
            if owner { inFlight.withLockedValue { if $0[key]?.stamp == stamp { $0[key] = nil } } }
            throw error
        }
        guard let value = result as? Value else { return try await compute() }
        guard owner else { return value }
        inFlight.withLockedValue { if $0[key]?.stamp == stamp { $0[key] = nil } }
        guard keep(value) else { return value }
        entries.withLockedValue { entries in
            // Past the bound the whole map goes: simpler than LRU, and a full refill costs one read per key.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = Entry(stamp: stamp, storedAt: now, value: value)
        }
        return value
    }

    public func removeAll() {
        entries.withLockedValue { $0.removeAll() }
    }
}
