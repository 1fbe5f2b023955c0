import Foundation
import KeelCore
import KeelML
import KeelStore

/// The price histories one cycle plans every account on, read once per universe, and the forecasts made from them,
/// computed once per model and universe, kept for the cycle in this process: all accounts of a cycle see the same
/// market (the data step ran before them), so a thousand accounts on three model portfolios read their bars and run
/// the model three times instead of two thousand.
final class CycleMarketSnapshot: Sendable {
    /// Entries of the newest cycles only: a process runs one or two cycles a day.
    private let histories = LockedValue<[String: [BarSeries]]>([:])
    private let forecasts = LockedValue<[String: [ReturnPrediction]]>([:])
    private let cycles = LockedValue<[String]>([])
    static let keptCycles = 2

    func histories(cycleID: String, symbols: [String], since: Date, read: @Sendable () async throws -> [BarSeries]) async throws -> [BarSeries] {
        let key = cycleID + "|" + symbols.sorted().joined(separator: ",") + "|" + String(Int(since.timeIntervalSince1970 / 86_400))
        if let cached = histories.value[key] { return cached }
        let loaded = try await read()
        remember(cycleID)
        histories.update { $0[key] = loaded }
        return loaded
    }

    /// The forecast of model `modelID` for a universe, computed by the first account of the cycle that asks.
    func forecast(cycleID: String, modelID: String, symbols: [String], compute: @Sendable () -> [ReturnPrediction]) -> [ReturnPrediction] {
        let key = cycleID + "|" + modelID + "|" + symbols.sorted().joined(separator: ",")
        if let cached = forecasts.value[key] { return cached }
        let computed = compute()
        remember(cycleID)
        forecasts.update { $0[key] = computed }
        return computed
    }

    /// Notes the cycle and drops the entries of cycles older than the kept ones.
    private func remember(_ cycleID: String) {
        let evicted: [String] = cycles.update { list in
            if !list.contains(cycleID) { list.append(cycleID) }
            let old = list.count > Self.keptCycles ? Array(list.prefix(list.count - Self.keptCycles)) : []
            list.removeFirst(old.count)
            return old
        }
        guard !evicted.isEmpty else { return }
        histories.update { table in for cycle in evicted { table = table.filter { !$0.key.hasPrefix(cycle + "|") } } }
        forecasts.update { table in for cycle in evicted { table = table.filter { !$0.key.hasPrefix(cycle + "|") } } }
    }
}
