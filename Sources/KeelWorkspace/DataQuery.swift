import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb

/// The data page (staff): pipeline runs with progress, quality issues by severity, one symbol's year of
/// prices with indicators, and the recorded stock splits.
public struct DataQuery: Sendable {
    let context: ServiceContext
    let marketData: MarketDataQueries
    let corporateActions: CorporateActionService

    public init(context: ServiceContext, marketData: MarketDataQueries, corporateActions: CorporateActionService) {
        self.context = context
        self.marketData = marketData
        self.corporateActions = corporateActions
    }

    public func load(symbol asked: String?, severity wanted: String?, done: String? = nil, error: String? = nil,
                     for reader: PageViewer) async throws -> PageOutcome<DataPage.Model> {
        guard reader.isStaff else { return .staffOnly("Data", "The data pipeline is for advisors.") }
        let now = context.clock.now()
        let severity = wanted.flatMap { QualitySeverity(rawValue: $0)?.rawValue }
        let (runs, symbols, newest) = try await context.database.read { session in
            (try await session.pipeline.list(limit: 20), try await session.marketBars.symbols(interval: "1d"), try await session.marketBars.newestBarTime())
        }
        // The list applies the splits now due first, as the API's does, so a split never shows scheduled after it began.
        let splits = try await corporateActions.splits(symbol: nil, limit: 50, by: reader.principal)
        let counts = try await marketData.issueCounts(symbol: nil)
        let bySeverity = ["critical", "error", "warning"].map { level in (level, counts.filter { $0.severity == level }.reduce(0) { $0 + $1.count }) }
        let issues = try await marketData.issues(symbol: nil, severity: severity, kind: nil, limit: 100)
        let typed = (asked ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let benchmark = context.settings.cycle.regimeSymbol
        let symbol = String((typed.isEmpty ? (symbols.contains(benchmark) ? benchmark : symbols.first ?? "SPY") : typed).prefix(20))
        var chart: DataPage.Model.PriceChart?
        if symbols.contains(symbol) {
            // A year of days, with the indicators' warm-up computed over the whole history.
            let rows = try await marketData.indicators(symbol: symbol, interval: "1d", from: now.addingTimeInterval(-365 * 86_400), to: now)
            func column(_ name: String) -> [(date: Date, value: Double)] {
                guard let index = IndicatorTable.columns.firstIndex(of: name), index < rows.columns.count else { return [] }
                return zip(rows.timestamps, rows.columns[index]).compactMap { $1.isFinite ? ($0, $1) : nil }
            }
            chart = .init(symbol: symbol, close: column("close"), sma20: column("sma_20"), bollingerUpper: column("bb_upper"), bollingerLower: column("bb_lower"),
                          rsi14: column("rsi_14"), lastBar: rows.timestamps.last)
        }
        return .page(DataPage.Model(
            viewer: reader.viewer,
            runs: runs.map { .init(runID: $0.runID, mode: $0.mode, status: $0.status.rawValue, symbolsDone: min($0.cursor, $0.symbols.count), symbolsTotal: $0.symbols.count,
                                   barsStored: $0.barsStored, barsRejected: $0.barsRejected, barsQuarantined: $0.barsQuarantined, issuesFound: $0.issuesFound,
                                   startedAt: $0.startedAt, finishedAt: $0.finishedAt, error: $0.error) },
            severityCounts: bySeverity, issues: issues.map { .init(symbol: $0.symbol, timestamp: $0.timestamp, kind: $0.kind, severity: $0.severity, action: $0.action, detail: $0.detail) },
            severity: severity, symbols: Array(symbols.prefix(2_000)), symbol: symbol, chart: chart, newestBar: newest, now: now,
            splits: splits.map { .init(symbol: $0.split.symbol, exDate: $0.split.exDate.description, newShares: $0.split.newShares, oldShares: $0.split.oldShares,
                                       recordedBy: $0.recordedBy, appliedAt: $0.appliedAt, accountsAdjusted: $0.accountsAdjusted, batchesExpired: $0.batchesExpired,
                                       cashInLieuPrice: $0.split.cashInLieuPrice) },
            canRecordSplits: (try? reader.principal.ensureAdmin()) != nil,
            notice: done.flatMap { DataPage.splitMessages[$0] }, error: error.flatMap { DataPage.splitMessages[$0] ?? "The split could not be recorded." }))
    }
}
