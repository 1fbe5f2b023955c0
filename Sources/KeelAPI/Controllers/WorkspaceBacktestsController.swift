import Foundation
import KeelML
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's backtests page: a run form, the list, one backtest's report (staff). Runs are the API's
/// backtest jobs; the report is drawn from the stored outcome.
struct WorkspaceBacktestsController: RouteCollection {
    let query: BacktestsQuery
    let backtests: BacktestJobs
    let jobs: JobService
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
        routes.on(.GET, .backtests, use: page).openAPI("Backtests: the run form, the list, one backtest's report with equity and drawdown charts (staff)", response: .html)
        routes.on(.POST, .backtests, use: run)
            .openAPI("Run a backtest (form post): its report, or the form again with each error beside its field", response: .html, redirect: .seeOther)
    }

    func page(req: Request) async throws -> Response {
        try await render(req, form: BacktestsPage.Model.Form())
    }

    func render(_ req: Request, form: BacktestsPage.Model.Form) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.load(backtest: req.queryText("id"), form: form, for: reader).response(req, viewer: reader.viewer, BacktestsPage.render)
    }

    func run(req: Request) async throws -> Response {
        let principal = try req.principal
        let posted = (try? req.content.decode(RunForm.self)) ?? RunForm()
        var form = BacktestsPage.Model.Form(strategy: String((posted.strategy ?? "").prefix(40)), symbols: String((posted.symbols ?? "").prefix(4_000)),
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
            let id = try await backtests.submit(try body.request(), by: principal, queue: jobs).backtestID
            return req.redirect(to: .backtests, ["id": id])
        } catch let error as ServiceError {
            // symbols.3 and the like: the error belongs beside the symbols field.
            if let field = error.field { form.errors[field.split(separator: ".").first.map(String.init) ?? field] = error.message } else { form.message = error.message }
            return try await render(req, form: form)
        }
    }
}
