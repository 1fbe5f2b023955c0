import Foundation
import Plot

extension BacktestsPage {
    /// Backtests in the workspace: a run form (what was typed kept, errors beside the field), the list (the page
    /// refreshes while one runs), and one backtest's report: figures, equity against the benchmark, drawdown, trades.
    public struct Model: Sendable {
        public struct Row: Sendable, Hashable {
            public var backtestID: String
            public var strategy: String
            public var symbols: String
            public var status: String
            public var createdBy: String
            public var createdAt: Date
            public var error: String?

            public init(backtestID: String, strategy: String, symbols: String, status: String, createdBy: String, createdAt: Date, error: String?) {
                self.backtestID = backtestID
                self.strategy = strategy
                self.symbols = symbols
                self.status = status
                self.createdBy = createdBy
                self.createdAt = createdAt
                self.error = error
            }
        }

        public struct Trade: Sendable, Hashable {
            public var symbol: String
            public var entry: Date
            public var exit: Date
            public var quantity: Double
            public var entryPrice: Double
            public var exitPrice: Double
            public var profitLoss: Double

            public init(symbol: String, entry: Date, exit: Date, quantity: Double, entryPrice: Double, exitPrice: Double, profitLoss: Double) {
                self.symbol = symbol
                self.entry = entry
                self.exit = exit
                self.quantity = quantity
                self.entryPrice = entryPrice
                self.exitPrice = exitPrice
                self.profitLoss = profitLoss
            }
        }

        public struct Report: Sendable {
            public var row: Row
            /// Label and shown value, in order (total return, CAGR, Sharpe…).
            public var figures: [(label: String, value: String)]
            public var equity: [(date: Date, value: Double)]
            public var benchmark: [(date: Date, value: Double)]
            public var benchmarkName: String?
            public var drawdown: [(date: Date, value: Double)]
            public var trades: [Trade]
            public var tradeCount: Int
            /// The autonomous replay: one row per portfolio (the policy, buy-and-hold, each fixed strategy) with its
            /// shown figures, and what the policy did (switches, demotions, de-risks, days per regime and strategy).
            public var comparison: [(name: String, values: [String])] = []
            public var comparisonNote: String?
            /// What was run, over which days, how many fills, how long it took.
            public var summary: String?
            /// Month-end to month-end returns, one row a year.
            public var monthly: [MonthlyReturns] = []

            public init(row: Row, figures: [(label: String, value: String)], equity: [(date: Date, value: Double)], benchmark: [(date: Date, value: Double)],
                        benchmarkName: String?, drawdown: [(date: Date, value: Double)], trades: [Trade], tradeCount: Int) {
                self.row = row
                self.figures = figures
                self.equity = equity
                self.benchmark = benchmark
                self.benchmarkName = benchmarkName
                self.drawdown = drawdown
                self.trades = trades
                self.tradeCount = tradeCount
            }
        }

        /// One year of monthly returns (nil: a month outside the test) and the year compounded.
        public struct MonthlyReturns: Sendable, Hashable {
            public var year: Int
            public var months: [Double?]
            public var total: Double

            public init(year: Int, months: [Double?], total: Double) {
                self.year = year
                self.months = months
                self.total = total
            }
        }

        public struct Form: Sendable, Hashable {
            public var strategy = "momentum"
            public var symbols = ""
            public var from = ""
            public var to = ""
            public var cash = "100000"
            public var benchmark = "SPY"
            public var slippageBps = "5"
            public var schwabFees = true
            public var errors: [String: String] = [:]
            public var message: String?

            public init(strategy: String = "momentum", symbols: String = "", from: String = "", to: String = "", cash: String = "100000", benchmark: String = "SPY",
                        slippageBps: String = "5", schwabFees: Bool = true, errors: [String: String] = [:], message: String? = nil) {
                self.strategy = strategy
                self.symbols = symbols
                self.from = from
                self.to = to
                self.cash = cash
                self.benchmark = benchmark
                self.slippageBps = slippageBps
                self.schwabFees = schwabFees
                self.errors = errors
                self.message = message
            }
        }

        public var viewer: Viewer
        public var strategies: [String]
        public var rows: [Row]
        public var report: Report?
        public var form: Form

        public init(viewer: Viewer, strategies: [String], rows: [Row], report: Report?, form: Form) {
            self.viewer = viewer
            self.strategies = strategies
            self.rows = rows
            self.report = report
            self.form = form
        }
    }
}

public enum BacktestsPage {
    public static func render(_ model: Model) -> String {
        let live = model.rows.contains { $0.status == "running" }
        return PageLayout.document(title: "Backtests", section: .backtests, viewer: model.viewer, refreshSeconds: live ? 3 : nil, content: .group(
            .h1("Backtests"),
            .unwrap(model.report) { report($0) },
            .h2(.style("margin-top:1rem"), "Runs"),
            .if(live, .p(.class("label"), "A backtest is running: this page refreshes every 3 seconds.")),
            .if(model.rows.isEmpty, .p("No backtests yet: run one below.")),
            .table(
                .tr(.th("Started"), .th("Strategy"), .th("Symbols"), .th("Status"), .th("By"), .th("Error")),
                .forEach(model.rows) { row in
                    .tr(.td(.a(.href(to: .backtests, ["id": row.backtestID]), .text(Format.time(row.createdAt)))), .td(.text(row.strategy)),
                        .td(.text(row.symbols)), .td(.class(row.status == "failed" ? "bad" : row.status == "succeeded" ? "good" : ""), .text(row.status)),
                        .td(.text(row.createdBy)), .td(.text(row.error.map { String($0.prefix(200)) } ?? "")))
                }
            ),
            form(model)
        ))
    }

    static func report(_ report: Model.Report) -> Node<HTML.BodyContext> {
        var series: [LineChart.Series] = [.init(name: report.row.strategy, points: report.equity)]
        if let name = report.benchmarkName, !report.benchmark.isEmpty { series.append(.init(name: name, points: report.benchmark, colour: "#8a94a3")) }
        let equity = LineChart(title: "Equity: \(report.row.strategy)" + (report.benchmarkName.map { " against \($0)" } ?? ""), series: series).node()
        let drawdown = LineChart(title: "Drawdown", series: [.init(name: "drawdown", points: report.drawdown, colour: "#a4161a")],
                                 format: { Format.percent($0, digits: 0) }).node()
        return .section(
            .class("card"),
            .h2(.text("\(report.row.strategy) on \(report.row.symbols) · \(report.row.status)")),
            .unwrap(report.row.error) { .p(.class("error"), .text($0)) },
            .unwrap(report.summary) { .p(.class("label"), .text($0)) },
            .if(!report.figures.isEmpty, .div(.class("grid"), .forEach(report.figures) { figure in
                .div(.div(.class("label"), .text(figure.label)), .div(.class("figure"), .text(figure.value)))
            })),
            .if(!report.equity.isEmpty, .group(.div(equity), .div(drawdown))),
            .if(!report.comparison.isEmpty, .group(
                .h2(.style("margin-top:1rem"), .text("The autonomous policy against the benchmark and each fixed strategy")),
                .table(
                    .tr(.th("Portfolio"), .th("Total return"), .th("CAGR"), .th("Sharpe"), .th("Max drawdown"), .th("Turnover"), .th("Costs")),
                    .forEach(report.comparison) { entry in .tr(.td(.text(entry.name)), .forEach(entry.values) { .td(.text($0)) }) }
                ),
                .unwrap(report.comparisonNote) { .p(.class("label"), .text($0)) }
            )),
            .if(!report.monthly.isEmpty, monthly(report.monthly)),
            .if(!report.trades.isEmpty, .group(
                .h2(.style("margin-top:1rem"), .text("Trades (\(report.tradeCount)\(report.tradeCount > report.trades.count ? ", first \(report.trades.count) shown" : ""))")),
                .table(
                    .tr(.th("Symbol"), .th("Entry"), .th("Exit"), .th("Quantity"), .th("Entry price"), .th("Exit price"), .th("P/L")),
                    .forEach(report.trades) { trade in
                        .tr(.td(.text(trade.symbol)), .td(.text(Format.day(trade.entry))), .td(.text(Format.day(trade.exit))),
                            .td(.text(String(format: "%g", trade.quantity))), .td(.text(Format.money(trade.entryPrice))), .td(.text(Format.money(trade.exitPrice))),
                            .td(.class(trade.profitLoss < 0 ? "bad" : "good"), .text(Format.money(trade.profitLoss))))
                    }
                )
            ))
        )
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Monthly returns in percent, a row a year, gains and losses coloured.
    static func monthly(_ years: [Model.MonthlyReturns]) -> Node<HTML.BodyContext> {
        func cell(_ value: Double?) -> Node<HTML.TableRowContext> {
            guard let value, value.isFinite else { return .td() }
            return .td(.class(value < 0 ? "bad" : "good"), .text(String(format: "%.1f", value * 100)))
        }
        return .group(
            .h2(.style("margin-top:1rem"), "Monthly returns (percent)"),
            .table(
                .tr(.th("Year"), .forEach(months) { .th(.text($0)) }, .th("Year")),
                .forEach(years) { year in
                    .tr(.th(.text(String(year.year))), .forEach(year.months) { cell($0) }, .td(.b(.text(String(format: "%.1f", year.total * 100)))))
                }
            )
        )
    }

    static func form(_ model: Model) -> Node<HTML.BodyContext> {
        let form = model.form
        func field(_ name: String, _ label: String, _ value: String, type: HTMLInputType = .text) -> Node<HTML.FormContext> {
            let id = "bt-\(name)", error = form.errors[name]
            return .group(
                .label(.for(Markup.escape(id)), .text(label)),
                .input(.type(type), .name(Markup.escape(name)), .id(Markup.escape(id)), .value(Markup.escape(value)), .attribute(named: "aria-invalid", value: error == nil ? "false" : "true"),
                       .attribute(named: "aria-describedby", value: Markup.escape("\(id)-error"))),
                .p(.class("error"), .id(Markup.escape("\(id)-error")), .text(error ?? ""))
            )
        }
        return .section(
            .class("card"), .id("run"), .style("margin-top:1rem"),
            .h2("Run a backtest"),
            .unwrap(form.message) { .p(.class("error"), .attribute(named: "role", value: "alert"), .text($0)) },
            .form(
                .method(.post), .action(to: .backtests),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                .label(.for("bt-strategy"), "Strategy"),
                .select(.attribute(named: "name", value: "strategy"), .attribute(named: "id", value: "bt-strategy"),
                        .forEach(model.strategies) { strategy in
                            .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(strategy)),
                                                              .if(strategy == form.strategy, .attribute(named: "selected", value: "selected")), .text(strategy)])
                        }),
                .p(.class("error"), .text(form.errors["strategy"] ?? "")),
                field("symbols", "Symbols (comma separated; empty for a model portfolio's universe)", form.symbols),
                field("from", "From", form.from, type: .date),
                field("to", "To", form.to, type: .date),
                field("cash", "Starting cash", form.cash, type: .number),
                field("benchmark", "Benchmark", form.benchmark),
                field("slippage_bps", "Slippage (basis points)", form.slippageBps, type: .number),
                .label(.for("bt-fees"), form.schwabFees
                       ? .input(.type(.checkbox), .name("schwab_fees"), .id("bt-fees"), .value("true"), .attribute(named: "style", value: "width:auto;margin-right:.4rem"),
                                .attribute(named: "checked", value: "checked"))
                       : .input(.type(.checkbox), .name("schwab_fees"), .id("bt-fees"), .value("true"), .attribute(named: "style", value: "width:auto;margin-right:.4rem")),
                       "Schwab's equity fees"),
                .p(.button(.type(.submit), "Run backtest"))
            )
        )
    }
}
