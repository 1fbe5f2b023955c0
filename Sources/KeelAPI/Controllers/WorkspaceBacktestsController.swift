import Foundation
import KeelML
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's backtests page: a run form, the list, one backtest's report (staff). Runs are the API's
/// backtest jobs; the report is drawn from the stored outcome.
struct WorkspaceBacktestsController: RouteCollection {
    struct RunForm: Content {
        var strategy: String?
        var symbols: String?
        var from: String?
        var to: String?
        var cash: String?
        var benchmark: String?
        var slippageBps: String?
        var schwabFees: String?

        enum CodingKeys: String, CodingKey { case strategy, symbols, from, to, cash, benchmark, slippageBps = "slippage_bps", schwabFees = "schwab_fees" }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("backtests", use: page).openAPI("Backtests: the run form, the list, one backtest's report with equity and drawdown charts (staff)", response: .html)
        routes.post("backtests", use: run)
            .openAPI("Run a backtest (form post): its report, or the form again with each error beside its field", response: .html, redirect: .seeOther)
    }

    func page(req: Request) async throws -> Response {
        try await render(req, form: BacktestsModel.Form())
    }

    func render(_ req: Request, form: BacktestsModel.Form) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Backtests", message: "Backtests are run by advisors."))
        }
        let keel = req.keel
        let (records, portfolios) = try await keel.context.database.read { session in
            (try await session.backtests.list(limit: 100), try await session.referenceData.modelPortfolios())
        }
        let rows = records.map(Self.row)
        var report: BacktestsModel.Report?
        if let id = try? req.query.get(String.self, at: "id"), let record = try? await keel.backtests.get(id, by: principal) {
            report = Self.report(record)
        }
        let strategies = BacktestRequest.portfolioStrategies.sorted() + BacktestRequest.signalStrategies.sorted() + portfolios.map { "model:\($0.id)" }
        return WebSession.page(BacktestsPage.render(BacktestsModel(viewer: viewer, strategies: strategies, rows: rows, report: report, form: form)))
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

    func run(req: Request) async throws -> Response {
        let principal = try req.principal
        let posted = (try? req.content.decode(RunForm.self)) ?? RunForm()
        var form = BacktestsModel.Form(strategy: String((posted.strategy ?? "").prefix(40)), symbols: String((posted.symbols ?? "").prefix(4_000)),
                                       from: String((posted.from ?? "").prefix(20)), to: String((posted.to ?? "").prefix(20)), cash: String((posted.cash ?? "").prefix(20)),
                                       benchmark: String((posted.benchmark ?? "").prefix(20)), slippageBps: String((posted.slippageBps ?? "").prefix(20)),
                                       schwabFees: posted.schwabFees == "true")
        func number(_ text: String, _ field: String) -> Double?? {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return .some(nil) }
            guard let value = Double(trimmed), value.isFinite else { form.errors[field] = "\(field) must be a number"; return nil }
            return .some(value)
        }
        guard let cash = number(form.cash, "cash"), let slippage = number(form.slippageBps, "slippage_bps") else { return try await render(req, form: form) }
        let symbols = form.symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let benchmark = form.benchmark.trimmingCharacters(in: .whitespaces).uppercased()
        var body = BacktestBody(strategy: form.strategy.isEmpty ? nil : form.strategy, symbols: symbols, from: form.from.isEmpty ? nil : form.from,
                                to: form.to.isEmpty ? nil : form.to, cash: cash, fill: nil)
        body.schwabFees = form.schwabFees
        body.slippageBps = slippage
        body.benchmark = benchmark.isEmpty ? nil : benchmark
        do {
            let id = try await req.keel.backtests.submit(try body.request(), by: principal, queue: req.keel.jobs).backtestID
            return req.redirect(to: "/app/backtests?id=\(id)", redirectType: .normal)
        } catch let error as ServiceError {
            // symbols.3 and the like: the error belongs beside the symbols field.
            if let field = error.field { form.errors[field.split(separator: ".").first.map(String.init) ?? field] = error.message } else { form.message = error.message }
            return try await render(req, form: form)
        }
    }
}
