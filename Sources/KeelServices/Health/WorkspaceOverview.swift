import Foundation
import KeelCore
import KeelStore

/// Everything the workspace's overview shows, read in one pass (staff only).
public struct WorkspaceOverview: Sendable {
    public var totals: BookTotals
    public var assetsUnderManagement: Double
    public var regime: StoredRegimeDay?
    public var lastCycle: CycleRunRecord?
    public var nextCycle: Date?
    public var brokers: [String: [String: Int]]
    public var dataAgeSeconds: Double?
    public var queuedJobs: Int
    public var runningJobs: Int
    public var switches: TradingSwitches
    public var benchmarkSymbol: String
    public var benchmark: [(date: Date, value: Double)]
}

extension AutonomousCycleService {
    public func overview(by principal: Principal) async throws -> WorkspaceOverview {
        try principal.ensureStaff()
        let now = context.clock.now()
        let settings = self.settings
        let switches = try await system.switches()
        return try await context.database.read { session in
            let totals = try await session.book.totals()
            let prices = try await session.marketBars.latestPrices(symbols: Array(totals.holdings.keys))
            let invested = totals.holdings.reduce(0.0) { sum, entry in sum + entry.value * (prices[entry.key]?.close ?? 0) }
            let symbol = settings.regimeSymbol
            let history = try await session.marketBars.history(symbols: [symbol], since: now.addingTimeInterval(-365 * 86_400)).first
            let benchmark = history.map { series in (0..<series.count).map { (series.timestamps[$0], series.close[$0]) } } ?? []
            let newest = try await session.marketBars.newestBarTime()
            return WorkspaceOverview(
                totals: totals, assetsUnderManagement: totals.cash + invested, regime: try await session.regimes.latest(symbol: symbol),
                lastCycle: try await session.cycles.list(limit: 1).first,
                nextCycle: settings.scheduled ? CycleSchedule(settings: settings).next(after: now) : nil,
                brokers: try await session.accounts.connectivityCounts(), dataAgeSeconds: newest.map { now.timeIntervalSince($0) },
                // Work only: the periodic duties always have their next run queued.
                queuedJobs: try await session.jobs.queueDepth().filter { !$0.key.hasPrefix("duty.") }.values.reduce(0, +),
                runningJobs: try await session.jobs.runningCounts().filter { !$0.key.hasPrefix("duty.") }.values.reduce(0, +),
                switches: switches, benchmarkSymbol: symbol, benchmark: benchmark)
        }
    }
}
