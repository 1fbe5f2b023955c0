import Foundation
import KeelCore
import Synchronization

/// Prices of the sandbox's universe: the market simulator's daily bars from a fixed anchor (the same path
/// Keel's demo stores, for the same seed), moving from the day's open to its close through the session.
final class SandboxPriceFeed: Sendable {
    let seed: UInt64
    private let bars = Mutex<(day: Int, series: [String: BarSeries])?>(nil)

    init(seed: UInt64) {
        self.seed = seed
    }

    static let anchor = CivilDay(year: 2020, month: 1, day: 1)

    func series(through now: Date) -> [String: BarSeries] {
        let today = CivilDay(now)
        if let cached = bars.withLock({ $0 }), cached.day == today.number { return cached.series }
        let output = MarketSimulator(configuration: .init(seed: seed, start: Self.anchor.date, calendarDays: max(today.number - Self.anchor.number + 1, 1)))
            .simulate(ReferenceInstruments.all.map(\.simulatedAsset))
        bars.withLock { $0 = (today.number, output.bars) }
        return output.bars
    }

    func knows(_ symbol: String) -> Bool { ReferenceInstruments.entry(for: symbol) != nil }

    /// The last trade price now: inside today's bar, interpolated by how much of the session has passed.
    func price(_ symbol: String, at now: Date) -> Double? {
        guard let series = series(through: now)[symbol], let last = series.lastIndex(onOrBefore: now) else { return nil }
        let open = series.open[last], close = series.close[last]
        guard CivilDay(series.timestamps[last]) == CivilDay(now) else { return close }
        let progress = SandboxMarketClock.sessionProgress(at: now)
        return ((open + (close - open) * progress) * 100).rounded() / 100
    }

    func dailyBars(_ symbol: String, through now: Date) -> BarSeries? {
        series(through: now)[symbol]
    }
}
