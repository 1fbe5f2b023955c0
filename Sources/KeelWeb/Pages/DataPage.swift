import Foundation
import Plot

extension DataPage {
    /// The market-data pipeline as the workspace shows it: runs with their progress (the page refreshes itself while
    /// one runs), quality issues by severity, and one symbol's prices with indicators.
    public struct Model: Sendable {
        public struct Run: Sendable, Hashable {
            public var runID: String
            public var mode: String
            public var status: String
            public var symbolsDone: Int
            public var symbolsTotal: Int
            public var barsStored: Int
            public var barsRejected: Int
            public var barsQuarantined: Int
            public var issuesFound: Int
            public var startedAt: Date
            public var finishedAt: Date?
            public var error: String?

            public init(runID: String, mode: String, status: String, symbolsDone: Int, symbolsTotal: Int, barsStored: Int, barsRejected: Int,
                        barsQuarantined: Int, issuesFound: Int, startedAt: Date, finishedAt: Date?, error: String?) {
                self.runID = runID
                self.mode = mode
                self.status = status
                self.symbolsDone = symbolsDone
                self.symbolsTotal = symbolsTotal
                self.barsStored = barsStored
                self.barsRejected = barsRejected
                self.barsQuarantined = barsQuarantined
                self.issuesFound = issuesFound
                self.startedAt = startedAt
                self.finishedAt = finishedAt
                self.error = error
            }
        }

        public struct Issue: Sendable, Hashable {
            public var symbol: String
            public var timestamp: Date
            public var kind: String
            public var severity: String
            public var action: String
            public var detail: String

            public init(symbol: String, timestamp: Date, kind: String, severity: String, action: String, detail: String) {
                self.symbol = symbol
                self.timestamp = timestamp
                self.kind = kind
                self.severity = severity
                self.action = action
                self.detail = detail
            }
        }

        /// One symbol's chart: closes with the 20-day average and Bollinger bands, and the 14-day RSI.
        public struct PriceChart: Sendable {
            public var symbol: String
            public var close: [(date: Date, value: Double)]
            public var sma20: [(date: Date, value: Double)]
            public var bollingerUpper: [(date: Date, value: Double)]
            public var bollingerLower: [(date: Date, value: Double)]
            public var rsi14: [(date: Date, value: Double)]
            public var lastBar: Date?

            public init(symbol: String, close: [(date: Date, value: Double)], sma20: [(date: Date, value: Double)], bollingerUpper: [(date: Date, value: Double)],
                        bollingerLower: [(date: Date, value: Double)], rsi14: [(date: Date, value: Double)], lastBar: Date?) {
                self.symbol = symbol
                self.close = close
                self.sma20 = sma20
                self.bollingerUpper = bollingerUpper
                self.bollingerLower = bollingerLower
                self.rsi14 = rsi14
                self.lastBar = lastBar
            }
        }

        public var viewer: Viewer
        public var runs: [Run]
        /// Issue counts by severity (critical, error, warning).
        public var severityCounts: [(severity: String, count: Int)]
        public var issues: [Issue]
        public var severity: String?
        public var symbols: [String]
        public var symbol: String
        public var chart: PriceChart?
        public var newestBar: Date?
        public var now: Date
        public var splits: [Split]
        /// Whether the viewer may schedule a split (administrators).
        public var canRecordSplits: Bool
        public var notice: String?
        public var error: String?

        public init(viewer: Viewer, runs: [Run], severityCounts: [(severity: String, count: Int)], issues: [Issue], severity: String?, symbols: [String],
                    symbol: String, chart: PriceChart?, newestBar: Date?, now: Date, splits: [Split] = [], canRecordSplits: Bool = false,
                    notice: String? = nil, error: String? = nil) {
            self.viewer = viewer
            self.runs = runs
            self.severityCounts = severityCounts
            self.issues = issues
            self.severity = severity
            self.symbols = symbols
            self.symbol = symbol
            self.chart = chart
            self.newestBar = newestBar
            self.now = now
            self.splits = splits
            self.canRecordSplits = canRecordSplits
            self.notice = notice
            self.error = error
        }
    }
}

public enum DataPage {
    public static func render(_ model: Model) -> String {
        let live = model.runs.contains { $0.status == "running" }
        return PageLayout.document(title: "Data", section: .data, viewer: model.viewer, refreshSeconds: live ? 5 : nil, content: .group(
            .h1("Market data"),
            Controls.banners(notice: model.notice, error: model.error),
            .div(.class("grid"),
                 .div(.class("card"), .div(.class("label"), "Newest bar"), .div(.class("figure"), .text(Format.age(seconds: model.newestBar.map { model.now.timeIntervalSince($0) })))),
                 .forEach(model.severityCounts) { entry in
                     .div(.class("card"), .div(.class("label"), .text("Quality issues: \(entry.severity)")),
                          .div(.class("figure \(entry.severity == "critical" ? "bad" : entry.severity == "error" ? "warn" : "")"), .text("\(entry.count)")),
                          .a(.href(to: .data, ["severity": entry.severity, "symbol": model.symbol], fragment: "issues"), "show"))
                 }),
            chartSection(model),
            splitsSection(model),
            .h2(.style("margin-top:1rem"), "Pipeline runs"),
            .if(live, .p(.class("label"), "A run is in progress: this page refreshes every 5 seconds.")),
            .if(model.runs.isEmpty, .p("No pipeline runs yet.")),
            .table(
                .tr(.th("Started"), .th("Mode"), .th("Status"), .th("Symbols"), .th("Stored"), .th("Rejected"), .th("Quarantined"), .th("Issues"), .th("Error")),
                .forEach(model.runs) { run in
                    let progress = run.symbolsTotal == 0 ? 0 : min(Double(run.symbolsDone) / Double(run.symbolsTotal), 1)
                    return .tr(
                        .td(.text(Format.time(run.startedAt))), .td(.text(run.mode)),
                        .td(.class(run.status == "failed" ? "bad" : run.status == "succeeded" ? "good" : ""), .text(run.status)),
                        .td(Controls.progress(progress, label: "run \(run.runID.prefix(8)) progress"),
                            .text(" \(run.symbolsDone)/\(run.symbolsTotal)")),
                        .td(.text("\(run.barsStored)")), .td(.text("\(run.barsRejected)")), .td(.text("\(run.barsQuarantined)")), .td(.text("\(run.issuesFound)")),
                        .td(.text(run.error.map { String($0.prefix(200)) } ?? "")))
                }
            ),
            .h2(.id("issues"), .style("margin-top:1rem"), .text("Quality issues" + (model.severity.map { ": \($0)" } ?? ""))),
            .if(model.issues.isEmpty, .p("No quality issues.")),
            .table(
                .tr(.th("Symbol"), .th("Bar"), .th("Severity"), .th("Kind"), .th("Action"), .th("Detail")),
                .forEach(model.issues) { issue in
                    .tr(.td(.a(.href(to: .data, ["symbol": issue.symbol]), .text(issue.symbol))),
                        .td(.text(Format.day(issue.timestamp))),
                        .td(.class(issue.severity == "critical" ? "bad" : issue.severity == "error" ? "warn" : ""), .text(issue.severity)),
                        .td(.text(issue.kind)), .td(.text(issue.action)), .td(.text(String(issue.detail.prefix(200)))))
                }
            )
        ))
    }

    static func chartSection(_ model: Model) -> Node<HTML.BodyContext> {
        .section(
            .class("card"), .style("margin-top:1rem"),
            .form(
                .method(.get), .action(to: .data),
                .label(.for("symbol"), "Symbol"),
                .input(.type(.text), .name("symbol"), .id("symbol"), .value(Markup.escape(model.symbol)), .attribute(named: "list", value: "known-symbols"),
                       .attribute(named: "maxlength", value: "20")),
                .element(named: "datalist", nodes: [.id("known-symbols"), .forEach(model.symbols) { .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape($0))]) }]),
                .button(.type(.submit), .style("margin-top:.4rem"), "Show")
            ),
            .unwrap(model.chart, { chart in
                let price = LineChart(title: "\(chart.symbol): close, 20-day average and Bollinger bands",
                                      series: [.init(name: "close", points: chart.close),
                                               .init(name: "SMA 20", points: chart.sma20, colour: "#7a4d00"),
                                               .init(name: "Bollinger upper", points: chart.bollingerUpper, colour: "#8a94a3"),
                                               .init(name: "Bollinger lower", points: chart.bollingerLower, colour: "#8a94a3")]).node()
                let rsi = LineChart(title: "\(chart.symbol): RSI 14", series: [.init(name: "RSI 14", points: chart.rsi14, colour: "#146c2e")],
                                    format: { String(format: "%.0f", $0) }).node()
                return .group(
                    .p(.class("label"), .text("Last bar \(Format.day(chart.lastBar)) · \(chart.close.count) days shown")),
                    .div(price), .div(rsi)
                )
            }, else: .p(.text("No stored bars for \(model.symbol)."))))
    }
}
