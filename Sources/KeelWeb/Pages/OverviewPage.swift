import Foundation
import Plot

extension OverviewPage {
    /// What the overview shows at a glance: the book, what waits for the advisor, the market, the cycle, health.
    public struct Model: Sendable {
        public struct Health: Sendable, Hashable {
            public var database: String
            public var dataAgeSeconds: Double?
            public var brokers: [String: [String: Int]]
            public var queuedJobs: Int
            public var runningJobs: Int

            public init(database: String, dataAgeSeconds: Double?, brokers: [String: [String: Int]], queuedJobs: Int, runningJobs: Int) {
                self.database = database
                self.dataAgeSeconds = dataAgeSeconds
                self.brokers = brokers
                self.queuedJobs = queuedJobs
                self.runningJobs = runningJobs
            }
        }

        public struct Cycle: Sendable, Hashable {
            public var cycleID: String
            public var cycleDate: String
            public var status: String
            public var accountsDone: Int
            public var accountsTotal: Int

            public init(cycleID: String, cycleDate: String, status: String, accountsDone: Int, accountsTotal: Int) {
                self.cycleID = cycleID
                self.cycleDate = cycleDate
                self.status = status
                self.accountsDone = accountsDone
                self.accountsTotal = accountsTotal
            }
        }

        public var viewer: Viewer
        public var assetsUnderManagement: Double
        public var clients: Int
        public var accounts: Int
        public var batchesAwaitingApproval: Int
        public var openAlerts: Int
        public var regime: String?
        public var regimeConfidence: Double?
        public var regimeDay: String?
        public var lastCycle: Cycle?
        public var nextCycle: Date?
        public var health: Health
        public var killSwitchEngaged: Bool
        public var tradingPaused: Bool
        /// The benchmark's closes over the last year, for the market chart.
        public var benchmark: [(date: Date, value: Double)]
        public var benchmarkSymbol: String

        public init(viewer: Viewer, assetsUnderManagement: Double, clients: Int, accounts: Int, batchesAwaitingApproval: Int, openAlerts: Int,
                    regime: String?, regimeConfidence: Double?, regimeDay: String?, lastCycle: Cycle?, nextCycle: Date?, health: Health,
                    killSwitchEngaged: Bool, tradingPaused: Bool, benchmark: [(date: Date, value: Double)], benchmarkSymbol: String) {
            self.viewer = viewer
            self.assetsUnderManagement = assetsUnderManagement
            self.clients = clients
            self.accounts = accounts
            self.batchesAwaitingApproval = batchesAwaitingApproval
            self.openAlerts = openAlerts
            self.regime = regime
            self.regimeConfidence = regimeConfidence
            self.regimeDay = regimeDay
            self.lastCycle = lastCycle
            self.nextCycle = nextCycle
            self.health = health
            self.killSwitchEngaged = killSwitchEngaged
            self.tradingPaused = tradingPaused
            self.benchmark = benchmark
            self.benchmarkSymbol = benchmarkSymbol
        }
    }
}

public enum OverviewPage {
    public static func render(_ model: Model) -> String {
        let chart = LineChart(title: "\(model.benchmarkSymbol) over the last year",
                              series: [.init(name: model.benchmarkSymbol, points: model.benchmark)], format: { Format.money($0) }).node()
        let brokers = model.health.brokers.keys.sorted().map { name -> String in
            let states = model.health.brokers[name] ?? [:]
            return "\(name): " + states.keys.sorted().map { "\(states[$0] ?? 0) \($0)" }.joined(separator: ", ")
        }
        let staleData = (model.health.dataAgeSeconds ?? .infinity) > 4 * 86_400
        return PageLayout.document(title: "Overview", section: .overview, viewer: model.viewer, content: .group(
            .h1("Overview"),
            .if(model.killSwitchEngaged, .p(.class("notice bad"), .attribute(named: "role", value: "alert"),
                                            "The kill switch is engaged: no order is sent.")),
            .if(model.tradingPaused && !model.killSwitchEngaged, .p(.class("notice warn"), "Automated trading is paused.")),
            .section(
                .class("grid"), .attribute(named: "aria-label", value: "The book"),
                figure("Assets under management", Format.money(model.assetsUnderManagement)),
                figure("Clients", "\(model.clients)"),
                figure("Accounts", "\(model.accounts)"),
                figure("Batches awaiting approval", "\(model.batchesAwaitingApproval)", tone: model.batchesAwaitingApproval > 0 ? "warn" : nil),
                figure("Open alerts", "\(model.openAlerts)", tone: model.openAlerts > 0 ? "warn" : nil)
            ),
            .div(
                .class("grid"), .style("margin-top:1rem"),
                .section(
                    .class("card"),
                    .h2("Market"),
                    .p(.text("Regime of \(model.benchmarkSymbol): "), .strong(.text(model.regime ?? "not computed yet")),
                       .unwrap(model.regimeConfidence) { .text(" (confidence \(String(format: "%.2f", $0)))") },
                       .unwrap(model.regimeDay) { .text(" on \($0)") }),
                    chart
                ),
                .section(
                    .class("card"),
                    .h2("Autonomous cycle"),
                    .unwrap(model.lastCycle, { cycle in
                        .p(.text("Last: \(cycle.cycleDate), \(cycle.status), \(cycle.accountsDone)/\(cycle.accountsTotal) accounts"))
                    }, else: .p("No cycle has run yet.")),
                    .p(.text("Next: " + (model.nextCycle.map { Format.time($0) } ?? "on demand only")))
                ),
                .section(
                    .class("card"),
                    .h2("System health"),
                    .table(
                        .tr(.th("Database"), .td(.text(model.health.database))),
                        .tr(.th("Data age"), .td(.class(staleData ? "bad" : "good"), .text(Format.age(seconds: model.health.dataAgeSeconds)))),
                        .tr(.th("Brokers"), .td(.text(brokers.isEmpty ? "no accounts" : brokers.joined(separator: "; ")))),
                        .tr(.th("Jobs"), .td(.text("\(model.health.runningJobs) running, \(model.health.queuedJobs) queued")))
                    )
                )
            )
        ))
    }

    static func figure(_ label: String, _ value: String, tone: String? = nil) -> Node<HTML.BodyContext> {
        .div(.class("card"), .div(.class("label"), .text(label)), .div(.class("figure" + (tone.map { " " + $0 } ?? "")), .text(value)))
    }
}
