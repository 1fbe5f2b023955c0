import Foundation
import KeelCore
import KeelStore

/// Fills market_bars with the simulated market for every symbol of the model portfolios. Idempotent and
/// extendable: the path always starts at the same anchor day with the same seed, so re-running on a later
/// day reproduces the stored history exactly and only appends the new days.
public struct DemoMarketSeeder: Sendable {
    public static let source = "simulator"
    public static let defaultSeed: UInt64 = 20_260_101

    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public struct Result: Sendable {
        public var symbols: Int
        public var bars: Int
        public var firstDay: Date
        public var lastDay: Date
    }

    /// Simulates from the stored anchor (or `historyDays` before today) through today.
    @discardableResult
    public func seed(seed: UInt64 = DemoMarketSeeder.defaultSeed, historyDays: Int = 760) async throws -> Result {
        let today = TradingCalendar.startOfDay(context.clock.now())
        return try await context.database.write { session in
            let portfolios = try await session.referenceData.modelPortfolios()
            let symbols = Array(Set(portfolios.flatMap(\.universe))).sorted()
            let entries = symbols.compactMap(ReferenceInstruments.entry(for:))
            try await session.referenceData.ensureInstruments(entries.map(\.instrument))
            let anchor = try await Self.anchor(session: session, symbols: entries.map(\.instrument.symbol))
                ?? today.addingTimeInterval(-Double(historyDays) * 86_400)
            let days = Int((today.timeIntervalSince(anchor) / 86_400).rounded()) + 1
            let simulator = MarketSimulator(configuration: .init(seed: seed, start: anchor, calendarDays: max(days, 1)))
            let output = simulator.simulate(entries.map(\.simulatedAsset))
            var count = 0
            for symbol in entries.map(\.instrument.symbol) {
                guard let series = output.bars[symbol] else { continue }
                try await session.marketBars.upsert(series, interval: "1d", source: Self.source)
                count += series.count
            }
            return Result(symbols: entries.count, bars: count, firstDay: anchor, lastDay: today)
        }
    }

    /// The first simulated day already stored, so an extension continues the same path.
    static func anchor(session: Session, symbols: [String]) async throws -> Date? {
        guard !symbols.isEmpty else { return nil }
        let rows = try await session.sql.raw("""
            SELECT MIN(ts) AS first FROM market_bars WHERE source = \(bind: source) AND symbol IN (\(binds: symbols))
            """).all()
        return try rows.first?.decodeNil(column: "first") == false ? rows.first?.decode(column: "first", as: Date.self) : nil
    }
}
