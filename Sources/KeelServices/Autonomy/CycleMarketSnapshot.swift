import Foundation
import KeelCore
import KeelStore

/// The price histories one cycle plans every account on, read once per universe and kept for the cycle in
/// this process: all accounts of a cycle see the same market (the data step ran before them), and a thousand
/// accounts on three model portfolios read their bars three times instead of two thousand.
final class CycleMarketSnapshot: Sendable {
    /// Entries of the newest cycles only: a process runs one or two cycles a day.
    private let entries = LockedValue<[String: [BarSeries]]>([:])
    private let cycles = LockedValue<[String]>([])
    static let keptCycles = 2

    func histories(cycleID: String, symbols: [String], since: Date, read: @Sendable () async throws -> [BarSeries]) async throws -> [BarSeries] {
        let key = cycleID + "|" + symbols.sorted().joined(separator: ",") + "|" + String(Int(since.timeIntervalSince1970 / 86_400))
        if let cached = entries.value[key] { return cached }
        let loaded = try await read()
        let evicted: [String] = cycles.update { list in
            if !list.contains(cycleID) { list.append(cycleID) }
            let old = list.count > Self.keptCycles ? Array(list.prefix(list.count - Self.keptCycles)) : []
            list.removeFirst(old.count)
            return old
        }
        entries.update { table in
            for cycle in evicted { table = table.filter { !$0.key.hasPrefix(cycle + "|") } }
            table[key] = loaded
        }
        return loaded
    }
}
