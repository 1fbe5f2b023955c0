import Foundation
import KeelCore
import Synchronization

/// The market simulator as a provider: the reference instruments (or some of them), simulated from a fixed
/// anchor through today, so every fetch reproduces the same history and adds only the new days.
public struct SimulatorMarketDataProvider: MarketDataProvider {
    public let seed: UInt64
    public let historyDays: Int
    public let symbols: [String]?
    let clock: any KeelClock
    private let cache = SimulationCache()

    public init(seed: UInt64, historyDays: Int, symbols: [String]?, clock: any KeelClock) {
        self.seed = seed
        self.historyDays = historyDays
        self.symbols = symbols
        self.clock = clock
    }

    /// One simulation serves every symbol of a run (the market is simulated jointly anyway).
    final class SimulationCache: Sendable {
        let output = Mutex<(day: Int, bars: [String: BarSeries])?>(nil)
    }

    public var descriptor: ProviderDescriptor { .simulator(seed: seed, historyDays: historyDays, symbols: symbols) }

    var entries: [ReferenceInstruments.Entry] {
        guard let symbols else { return ReferenceInstruments.all }
        return symbols.compactMap(ReferenceInstruments.entry(for:))
    }

    public func items() async throws -> [ProviderItem] {
        if let symbols {
            let unknown = symbols.filter { ReferenceInstruments.entry(for: $0) == nil }
            guard unknown.isEmpty else { throw ProviderError("the simulator has no instrument \(unknown.joined(separator: ", "))") }
        }
        return entries.map { ProviderItem(symbol: $0.instrument.symbol, interval: "1d", location: "simulator") }
    }

    public func fetchBars(_ item: ProviderItem) async throws -> FetchedBars {
        guard let entry = ReferenceInstruments.entry(for: item.symbol) else { throw ProviderError("the simulator has no instrument \(item.symbol)") }
        // Anchored on a fixed day per history length, so the path is the same whichever day it runs.
        let today = CivilDay(clock.now())
        let bars = simulatedMarket(through: today)
        guard let full = bars[entry.instrument.symbol] else { throw ProviderError("no simulated bars for \(item.symbol)") }
        let series = full.truncated(through: today.date)
        let from = today.adding(days: -historyDays).date
        let start = series.timestamps.firstIndex { $0 >= from } ?? 0
        var trimmed = BarSeries(symbol: series.symbol)
        for i in start..<series.count {
            trimmed.append(timestamp: series.timestamps[i], open: series.open[i], high: series.high[i], low: series.low[i],
                           close: series.close[i], volume: series.volume[i])
        }
        return FetchedBars(series: trimmed, adjustedClose: [Double](repeating: .nan, count: trimmed.count), intraday: false)
    }

    /// Every reference instrument simulated from the fixed anchor (2020-01-01) through `today`.
    func simulatedMarket(through today: CivilDay) -> [String: BarSeries] {
        if let cached = cache.output.withLock({ $0 }), cached.day == today.number { return cached.bars }
        let anchor = CivilDay(year: 2020, month: 1, day: 1)
        let output = MarketSimulator(configuration: .init(seed: seed, start: anchor.date, calendarDays: max(today.number - anchor.number + 1, 1)))
            .simulate(ReferenceInstruments.all.map(\.simulatedAsset))
        cache.output.withLock { $0 = (today.number, output.bars) }
        return output.bars
    }

    public func fetchFundamentals(_ item: ProviderItem) async throws -> FetchedFundamentals {
        throw ProviderError("the simulator provides no fundamentals")
    }
}
