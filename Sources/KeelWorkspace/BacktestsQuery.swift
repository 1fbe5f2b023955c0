import Foundation
import KeelCore
import KeelML
import KeelServices
import KeelStore
import KeelWeb

/// The backtests page (staff): the run form, the list, and one backtest's report drawn from its stored outcome.
public struct BacktestsQuery: Sendable {
    let context: ServiceContext
    let backtests: BacktestJobs

    public init(context: ServiceContext, backtests: BacktestJobs) {
        self.context = context
        self.backtests = backtests
    }

    public func load(backtest wanted: String?, form: BacktestsModel.Form = .init(), for reader: PageViewer) async throws -> PageOutcome<BacktestsModel> {
        guard reader.isStaff else { return .staffOnly("Backtests", "Backtests are run by advisors.") }
        let records = try await backtests.list(limit: 100, by: reader.principal)
        let portfolios = try await context.database.read { try await $0.referenceData.modelPortfolios() }
        var report: BacktestsModel.Report?
        if let wanted, let record = try? await backtests.get(wanted, by: reader.principal) { report = Self.report(record) }
        let strategies = BacktestRequest.portfolioStrategies.sorted() + BacktestRequest.signalStrategies.sorted() + portfolios.map { "model:\($0.id)" }
        return .page(BacktestsModel(viewer: reader.viewer, strategies: strategies, rows: records.map(Self.row), report: report, form: form))
    }

    static func row(_ record: BacktestRecord) -> BacktestsModel.Row {
        let request = try? BacktestOutcome.decoder.decode(BacktestRequest.self, from: Data(record.request.utf8))
        let symbols = request.map { $0.symbols.isEmpty ? "its universe" : $0.symbols.prefix(6).joined(separator: ", ") + ($0.symbols.count > 6 ? " +\($0.symbols.count - 6)" : "") } ?? ""
        return .init(backtestID: record.id, strategy: request?.strategy ?? "?", symbols: symbols, status: record.status, createdBy: record.createdBy,
                     createdAt: record.createdAt, error: record.error)
    }

    static func report(_ record: BacktestRecord) -> BacktestsModel.Report {
        let row = row(record)
        guard let stored = record.result, let outcome = try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data(stored.utf8)) else {
            return .init(row: row, figures: [], equity: [], benchmark: [], benchmarkName: nil, drawdown: [], trades: [], tradeCount: 0)
        }
        let m = outcome.metrics
        func ratio(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "–" }
        func percent(_ value: Double) -> String { value.isFinite ? Format.percent(value) : "–" }
        var figures: [(label: String, value: String)] = [
            ("Final equity", Format.money(outcome.finalEquity)), ("Total return", percent(m.totalReturn)), ("CAGR", percent(m.cagr)),
            ("Sharpe", ratio(m.sharpe)), ("Sortino", ratio(m.sortino)), ("Max drawdown", percent(m.maxDrawdown)), ("Volatility", percent(m.annualVolatility)),
            ("Win rate", percent(m.winRate)), ("Trades", "\(outcome.trades)"), ("Costs", Format.money(outcome.commissions)),
        ]
        if let benchmark = outcome.benchmarkMetrics, let name = outcome.benchmark {
            figures.append(("\(name) total return", percent(benchmark.totalReturn)))
            if let alpha = m.alpha { figures.append(("Alpha", ratio(alpha))) }
            if let beta = m.beta { figures.append(("Beta", ratio(beta))) }
        }
        let equity = outcome.equityCurve.filter { $0.equity.isFinite }
        var peak = -Double.infinity
        let drawdown = equity.map { point -> (date: Date, value: Double) in
            peak = max(peak, point.equity)
            return (point.date, peak > 0 ? point.equity / peak - 1 : 0)
        }
        var report = BacktestsModel.Report(row: row, figures: figures, equity: equity.map { ($0.date, $0.equity) },
                     benchmark: (outcome.benchmarkCurve ?? []).filter { $0.equity.isFinite }.map { ($0.date, $0.equity) }, benchmarkName: outcome.benchmark,
                     drawdown: drawdown, trades: outcome.tradeList.prefix(200).map {
                         .init(symbol: $0.symbol, entry: $0.entryTime, exit: $0.exitTime, quantity: $0.quantity, entryPrice: $0.entryPrice, exitPrice: $0.exitPrice,
                               profitLoss: $0.profitLoss)
                     }, tradeCount: outcome.tradeList.count)
        if let autonomous = outcome.autonomous {
            func values(_ f: AutonomousPolicyReplay.Figures) -> [String] {
                [percent(f.totalReturn), percent(f.cagr), ratio(f.sharpe), percent(f.maxDrawdown), ratio(f.turnover), Format.money(f.costs)]
            }
            report.comparison = [("autonomous policy", values(autonomous.policy)), ("buy and hold \(outcome.benchmark ?? "benchmark")", values(autonomous.benchmark))]
                + autonomous.fixed.sorted { $0.key < $1.key }.map { ($0.key, values($0.value)) }
            let regimes = autonomous.daysInRegime.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let strategies = autonomous.daysInStrategy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            report.comparisonNote = "\(autonomous.switches) switches, \(autonomous.demotions) demotions, \(autonomous.derisks) de-risks; days in regime: \(regimes); days in strategy: \(strategies)"
        }
        return report
    }
}
