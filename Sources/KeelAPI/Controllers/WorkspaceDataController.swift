import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's data page: pipeline runs, quality issues by severity, one symbol's prices with indicators (staff).
struct WorkspaceDataController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("data", use: page).openAPI("Pipeline runs with progress, quality issues by severity, a symbol's price chart with indicators (staff)", response: .html)
    }

    func page(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Data", message: "The data pipeline is for advisors."))
        }
        let keel = req.keel
        let now = keel.context.clock.now()
        let severity = (try? req.query.get(String.self, at: "severity")).flatMap { QualitySeverity(rawValue: $0)?.rawValue }
        let (runs, symbols, newest) = try await keel.context.database.read { session in
            (try await session.pipeline.list(limit: 20), try await session.marketBars.symbols(interval: "1d"), try await session.marketBars.newestBarTime())
        }
        let counts = try await keel.marketData.issueCounts(symbol: nil)
        let bySeverity = ["critical", "error", "warning"].map { level in (level, counts.filter { $0.severity == level }.reduce(0) { $0 + $1.count }) }
        let issues = try await keel.marketData.issues(symbol: nil, severity: severity, kind: nil, limit: 100)
        let asked = ((try? req.query.get(String.self, at: "symbol")) ?? "").trimmingCharacters(in: .whitespaces).uppercased()
        let symbol = String((asked.isEmpty ? (symbols.contains(keel.context.settings.cycle.regimeSymbol) ? keel.context.settings.cycle.regimeSymbol : symbols.first ?? "SPY") : asked).prefix(20))
        var chart: DataModel.PriceChart?
        if symbols.contains(symbol) {
            // A year of days, with the indicators' warm-up computed over the whole history.
            let rows = try await keel.marketData.indicators(symbol: symbol, interval: "1d", from: now.addingTimeInterval(-365 * 86_400), to: now)
            func column(_ name: String) -> [(date: Date, value: Double)] {
                guard let index = IndicatorTable.columns.firstIndex(of: name), index < rows.columns.count else { return [] }
                return zip(rows.timestamps, rows.columns[index]).compactMap { $1.isFinite ? ($0, $1) : nil }
            }
            chart = .init(symbol: symbol, close: column("close"), sma20: column("sma_20"), bollingerUpper: column("bb_upper"), bollingerLower: column("bb_lower"),
                          rsi14: column("rsi_14"), lastBar: rows.timestamps.last)
        }
        let model = DataModel(
            viewer: viewer,
            runs: runs.map { .init(runID: $0.runID, mode: $0.mode, status: $0.status.rawValue, symbolsDone: min($0.cursor, $0.symbols.count), symbolsTotal: $0.symbols.count,
                                   barsStored: $0.barsStored, barsRejected: $0.barsRejected, barsQuarantined: $0.barsQuarantined, issuesFound: $0.issuesFound,
                                   startedAt: $0.startedAt, finishedAt: $0.finishedAt, error: $0.error) },
            severityCounts: bySeverity, issues: issues.map { .init(symbol: $0.symbol, timestamp: $0.timestamp, kind: $0.kind, severity: $0.severity, action: $0.action, detail: $0.detail) },
            severity: severity, symbols: Array(symbols.prefix(2_000)), symbol: symbol, chart: chart, newestBar: newest, now: now)
        return WebSession.page(DataPage.render(model))
    }
}
