import Foundation
import KeelCore
import KeelML
import KeelServices
import KeelStore
import KeelWeb

/// A backtest drawn for KeelWeb: the list's row and the report of its outcome (the workspace page, the API's
/// report and the CLI's `--report` all render this one model).
extension BacktestsQuery {
    public static func row(_ record: BacktestRecord) -> BacktestsPage.Model.Row {
        let request = try? BacktestOutcome.decoder.decode(BacktestRequest.self, from: Data(record.request.utf8))
        let symbols = request.map { $0.symbols.isEmpty ? "its universe" : $0.symbols.prefix(6).joined(separator: ", ") + ($0.symbols.count > 6 ? " +\($0.symbols.count - 6)" : "") } ?? ""
        return .init(backtestID: record.id, strategy: request?.strategy ?? "?", symbols: symbols, status: record.status, createdBy: record.createdBy,
                     createdAt: record.createdAt, error: record.error)
    }

    /// A stored backtest's report: its outcome drawn, or the row alone while it runs or when it failed.
    public static func report(_ record: BacktestRecord) -> BacktestsPage.Model.Report {
        let row = row(record)
        guard let stored = record.result, let outcome = try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data(stored.utf8)) else {
            return .init(row: row, figures: [], equity: [], benchmark: [], benchmarkName: nil, drawdown: [], trades: [], tradeCount: 0)
        }
        return report(outcome, row: row)
    }

    /// An outcome's report: figures, equity against the benchmark, drawdown, monthly returns, the autonomous
    /// comparison and the trades.
    public static func report(_ outcome: BacktestOutcome, row: BacktestsPage.Model.Row) -> BacktestsPage.Model.Report {
        let m = outcome.metrics
        func ratio(_ value: Double) -> String { value.isFinite ? String(format: "%.2f", value) : "–" }
        func percent(_ value: Double) -> String { value.isFinite ? Format.percent(value) : "–" }
        var figures: [(label: String, value: String)] = [
            ("Final equity", Format.money(outcome.finalEquity)), ("Total return", percent(m.totalReturn)), ("CAGR", percent(m.cagr)),
            ("Sharpe", ratio(m.sharpe)), ("Sortino", ratio(m.sortino)), ("Max drawdown", percent(m.maxDrawdown)), ("Volatility", percent(m.annualVolatility)),
            ("Calmar", ratio(m.calmar)), ("Turnover (per year)", ratio(m.turnover)), ("Exposure", percent(m.exposure)),
            ("Win rate", percent(m.winRate)), ("Profit factor", ratio(m.profitFactor)), ("Trades", "\(outcome.trades)"),
            ("Costs", Format.money(outcome.commissions)),
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
        var report = BacktestsPage.Model.Report(row: row, figures: figures, equity: equity.map { ($0.date, $0.equity) },
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
        let first = outcome.equityCurve.first.map { Format.day($0.date) } ?? "", last = outcome.equityCurve.last.map { Format.day($0.date) } ?? ""
        let symbols = outcome.symbols.prefix(12).joined(separator: ", ") + (outcome.symbols.count > 12 ? " and \(outcome.symbols.count - 12) more" : "")
        report.summary = "\(symbols) · \(first) to \(last) · \(outcome.fills) fills\(outcome.execution.map { " (\($0))" } ?? "") · \(String(format: "%.1f", outcome.elapsedMilliseconds)) ms"
            + (outcome.benchmark.map { " · benchmark \($0)" } ?? "")
        report.monthly = monthlyReturns(outcome.equityCurve.map { ($0.date, $0.equity) }, initial: outcome.initialCash)
        return report
    }

    /// Month-end to month-end returns (the first month from the initial cash), a row a year, each year compounded.
    static func monthlyReturns(_ curve: [(date: Date, equity: Double)], initial: Double) -> [BacktestsPage.Model.MonthlyReturns] {
        var monthEnd: [Int: Double] = [:], order: [Int] = []
        for point in curve where point.equity.isFinite {
            let (year, month, _) = CivilDay(point.date).components
            let key = year * 12 + (month - 1)
            if monthEnd[key] == nil { order.append(key) }
            monthEnd[key] = point.equity
        }
        var previous = initial, returns: [Int: Double] = [:]
        for key in order {
            let end = monthEnd[key] ?? previous
            returns[key] = previous > 0 ? end / previous - 1 : 0
            previous = end
        }
        return Array(Set(order.map { $0 / 12 })).sorted().map { year in
            let months = (0..<12).map { returns[year * 12 + $0] }
            return .init(year: year, months: months, total: months.reduce(1.0) { $0 * (1 + ($1 ?? 0)) } - 1)
        }
    }
}
