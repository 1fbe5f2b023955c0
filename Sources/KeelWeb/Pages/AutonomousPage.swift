import Foundation
import Plot

extension AutonomousPage {
    /// The autonomous side at a glance: the regime over the benchmark, the cycles and one cycle's accounts, and the
    /// controls (start a cycle, pause or resume a client, override a strategy, the kill switch).
    public struct Model: Sendable {
        public struct Cycle: Sendable, Hashable {
            public var cycleID: String
            public var cycleDate: String
            public var status: String
            public var trigger: String
            public var regime: String?
            public var accountsDone: Int
            public var accountsTotal: Int

            public init(cycleID: String, cycleDate: String, status: String, trigger: String, regime: String?, accountsDone: Int, accountsTotal: Int) {
                self.cycleID = cycleID
                self.cycleDate = cycleDate
                self.status = status
                self.trigger = trigger
                self.regime = regime
                self.accountsDone = accountsDone
                self.accountsTotal = accountsTotal
            }
        }

        public struct Outcome: Sendable, Hashable {
            public var clientID: Int
            public var accountHash: String
            public var status: String
            public var strategy: String?
            public var reason: String?
            public var orders: Int
            public var outcome: String?

            public init(clientID: Int, accountHash: String, status: String, strategy: String?, reason: String?, orders: Int, outcome: String?) {
                self.clientID = clientID
                self.accountHash = accountHash
                self.status = status
                self.strategy = strategy
                self.reason = reason
                self.orders = orders
                self.outcome = outcome
            }
        }

        public struct Step: Sendable, Hashable {
            public var step: String
            public var status: String
            public var runs: Int
            public var milliseconds: Int

            public init(step: String, status: String, runs: Int, milliseconds: Int) {
                self.step = step
                self.status = status
                self.runs = runs
                self.milliseconds = milliseconds
            }
        }

        /// A replay of the whole policy on history (a backtest of strategy `autonomous`) and its headline.
        public struct Replay: Sendable, Hashable {
            public var backtestID: String
            public var createdAt: Date
            public var summary: String

            public init(backtestID: String, createdAt: Date, summary: String) {
                self.backtestID = backtestID
                self.createdAt = createdAt
                self.summary = summary
            }
        }

        public var viewer: Viewer
        /// The latest replays of the policy on history, newest first.
        public var replays: [Replay] = []
        public var regimeDays: [RegimeChart.Day]
        public var benchmarkSymbol: String
        public var cycles: [Cycle]
        public var selected: Cycle?
        public var steps: [Step]
        public var outcomes: [Outcome]
        public var pausedClients: [(clientID: Int, reason: String?)]
        public var strategies: [String]
        public var killSwitchEngaged: Bool
        /// The clients the controls pick from (by name: no typed ids); empty, the controls take an id.
        public var clients: [(id: Int, name: String)]
        public var notice: String?
        public var error: String?

        public init(viewer: Viewer, regimeDays: [RegimeChart.Day], benchmarkSymbol: String, cycles: [Cycle], selected: Cycle?, steps: [Step],
                    outcomes: [Outcome], pausedClients: [(clientID: Int, reason: String?)], strategies: [String], killSwitchEngaged: Bool,
                    clients: [(id: Int, name: String)] = [], notice: String? = nil, error: String? = nil) {
            self.clients = clients
            self.viewer = viewer
            self.regimeDays = regimeDays
            self.benchmarkSymbol = benchmarkSymbol
            self.cycles = cycles
            self.selected = selected
            self.steps = steps
            self.outcomes = outcomes
            self.pausedClients = pausedClients
            self.strategies = strategies
            self.killSwitchEngaged = killSwitchEngaged
            self.notice = notice
            self.error = error
        }
    }
}

public enum AutonomousPage {
    /// The texts an action's outcome code shows (fixed: a link cannot make the page say anything).
    public static let messages: [String: String] = [
        "run": "A cycle was started.", "pause": "The client is paused.", "resume": "The client is running again.",
        "override": "The override is in force.", "kill-switch": "The kill switch changed.",
        "cycle_running": "A cycle of this day is still running.", "client_id": "Give the id of an existing client.",
        "strategy": "Choose one of the strategies.", "until": "The override needs a day in the future (within a year).",
        "reason": "A reason is required.",
    ]

    public static func render(_ model: Model) -> String {
        let chart = RegimeChart(title: "Market regime over \(model.benchmarkSymbol)", days: model.regimeDays).node()
        return PageLayout.document(title: "Autonomous", section: .autonomous, viewer: model.viewer,
                                   refreshSeconds: model.selected.map { $0.status == "running" || $0.status == "queued" } == true ? 5 : nil, content: .group(
            .h1("Autonomous trading"),
            Controls.banners(notice: model.notice, error: model.error),
            .section(.class("card"), .h2("Regime"), chart),
            .div(.class("grid"), .style("margin-top:1rem"), cycles(model), controls(model)),
            .section(
                .class("card"), .style("margin-top:1rem"), .h2("The policy on history"),
                .p(.class("label"), .text("Each replay runs this page's decision code day by day on stored or CSV bars, against buy-and-hold of the benchmark and each fixed strategy. Start one from Backtests with strategy autonomous and a benchmark.")),
                .if(model.replays.isEmpty, .p(.text("No replay yet."))),
                .if(!model.replays.isEmpty, .table(
                    .tr(.th("Replay"), .th("Started"), .th("Against the benchmark")),
                    .forEach(model.replays) { replay in
                        .tr(.td(.a(.href(to: .backtests, ["id": replay.backtestID]), .text(String(replay.backtestID.prefix(8))))),
                            .td(.text(Format.day(replay.createdAt))), .td(.text(replay.summary)))
                    }
                ))
            ),
            .unwrap(model.selected) { selected in
                .section(
                    .class("card"), .style("margin-top:1rem"),
                    .h2(.text("Cycle \(selected.cycleDate) · \(selected.status) · \(selected.accountsDone)/\(selected.accountsTotal) accounts")),
                    .table(
                        .tr(.th("Step"), .th("Status"), .th("Runs"), .th("Time")),
                        .forEach(model.steps) { step in
                            .tr(.td(.text(step.step)), .td(.text(step.status)), .td(.text("\(step.runs)")), .td(.text("\(step.milliseconds) ms")))
                        }
                    ),
                    .table(
                        .style("margin-top:.8rem"),
                        .tr(.th("Client"), .th("Account"), .th("Outcome"), .th("Strategy and why"), .th("Orders")),
                        .forEach(model.outcomes) { outcome in
                            .tr(.td(.a(.href(to: .client(outcome.clientID)), .text("client \(outcome.clientID)"))), .td(.text(outcome.accountHash)),
                                .td(.class(outcome.status == "failed" ? "bad" : outcome.status == "completed" ? "good" : "warn"),
                                    .text(outcome.status + (outcome.outcome.map { ": \($0)" } ?? ""))),
                                .td(.text((outcome.strategy ?? "–") + (outcome.reason.map { " — \($0)" } ?? ""))), .td(.text("\(outcome.orders)")))
                        }
                    )
                )
            }
        ))
    }

    static func cycles(_ model: Model) -> Node<HTML.BodyContext> {
        .section(
            .class("card"), .h2("Cycles"),
            .if(model.cycles.isEmpty, .p("No cycle has run yet.")),
            .table(
                .tr(.th("Day"), .th("Status"), .th("Trigger"), .th("Regime"), .th("Accounts")),
                .forEach(model.cycles) { cycle in
                    .tr(.td(.a(.href(to: .autonomous, ["cycle": cycle.cycleID]), .text(cycle.cycleDate))), .td(.text(cycle.status)), .td(.text(cycle.trigger)),
                        .td(.text(cycle.regime ?? "–")), .td(.text("\(cycle.accountsDone)/\(cycle.accountsTotal)")))
                }
            ),
            .form(.method(.post), .action(to: .autonomousAction(.run)), .style("margin-top:.6rem"),
                  .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                  .button(.type(.submit), "Run a cycle now"))
        )
    }

    static func controls(_ model: Model) -> Node<HTML.BodyContext> {
        let csrf: Node<HTML.FormContext> = .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken)))
        return .section(
            .class("card"), .h2("Controls"),
            .form(.method(.post), .action(to: .autonomousAction(.killSwitch)), csrf,
                  .input(.type(.hidden), .name("engaged"), .value(Markup.escape(model.killSwitchEngaged ? "false" : "true"))),
                  .button(.class(model.killSwitchEngaged ? "secondary" : "danger"), .type(.submit),
                          .text(model.killSwitchEngaged ? "Release the kill switch" : "Engage the kill switch (cancels working orders)"))),
            .form(.method(.post), .action(to: .autonomousAction(.pause)), csrf,
                  .label(.for("pause-client"), "Pause a client"),
                  clientField(id: "pause-client", model: model),
                  .label(.for("pause-reason"), "Reason"),
                  .input(.type(.text), .name("reason"), .id("pause-reason"), .attribute(named: "maxlength", value: "500")),
                  .p(.button(.type(.submit), "Pause"))),
            .if(!model.pausedClients.isEmpty, .h2(.style("margin-top:.6rem"), "Paused clients")),
            .forEach(model.pausedClients) { paused in
                .form(.method(.post), .action(to: .autonomousAction(.resume)), csrf,
                      .input(.type(.hidden), .name("client_id"), .value(Markup.escape(String(paused.clientID)))),
                      .p(.text((model.clients.first { $0.id == paused.clientID }?.name ?? "client \(paused.clientID)") + (paused.reason.map { " (\($0))" } ?? "") + " "),
                         .button(.class("secondary"), .type(.submit), "Resume")))
            },
            .form(.method(.post), .action(to: .autonomousAction(.override)), csrf,
                  .label(.for("override-client"), "Override a client's strategy"),
                  clientField(id: "override-client", model: model),
                  .label(.for("override-strategy"), "Strategy"),
                  .select(.attribute(named: "name", value: "strategy"), .attribute(named: "id", value: "override-strategy"),
                          .forEach(model.strategies) { name in
                              .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(name)), .text(name)])
                          }),
                  .label(.for("override-until"), "Until (date)"),
                  .input(.type(.date), .name("until"), .id("override-until"), .required(true)),
                  .label(.for("override-reason"), "Reason"),
                  .input(.type(.text), .name("reason"), .id("override-reason"), .attribute(named: "maxlength", value: "500"), .required(true)),
                  .p(.button(.type(.submit), "Override")))
        )
    }

    /// A client chosen from the list by name; an id field only when no list was given.
    static func clientField(id: String, model: Model) -> Node<HTML.FormContext> {
        guard !model.clients.isEmpty else {
            return .input(.type(.number), .name("client_id"), .id(Markup.escape(id)), .attribute(named: "min", value: "1"), .required(true))
        }
        return .select(.attribute(named: "name", value: "client_id"), .attribute(named: "id", value: Markup.escape(id)),
                       .forEach(model.clients) { client in
                           .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(String(client.id))),
                                                             .text("\(client.name) (client \(client.id))")])
                       })
    }
}
