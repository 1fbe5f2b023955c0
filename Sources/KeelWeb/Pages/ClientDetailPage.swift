import Foundation
import Plot

/// One client: accounts, preferences, holdings against their targets (table and chart), the accounts' recorded
/// value over time, goals with progress, batches and the audit trail.
public struct ClientDetailModel: Sendable {
    public struct Account: Sendable, Hashable {
        public var accountHash: String
        public var broker: String
        public var status: String
        public var cash: Double
        public var value: Double

        public init(accountHash: String, broker: String, status: String, cash: Double, value: Double) {
            self.accountHash = accountHash
            self.broker = broker
            self.status = status
            self.cash = cash
            self.value = value
        }
    }

    public struct Holding: Sendable, Hashable {
        public var symbol: String
        public var quantity: Double
        public var price: Double?
        public var value: Double
        public var weight: Double
        public var target: Double?

        public init(symbol: String, quantity: Double, price: Double?, value: Double, weight: Double, target: Double?) {
            self.symbol = symbol
            self.quantity = quantity
            self.price = price
            self.value = value
            self.weight = weight
            self.target = target
        }
    }

    public struct Goal: Sendable, Hashable {
        public var name: String
        public var status: String
        /// 0…1 of the way to the target.
        public var progress: Double?

        public init(name: String, status: String, progress: Double?) {
            self.name = name
            self.status = status
            self.progress = progress
        }
    }

    public struct Batch: Sendable, Hashable {
        public var batchID: String
        public var status: String
        public var strategy: String
        public var orders: Int
        public var createdAt: Date

        public init(batchID: String, status: String, strategy: String, orders: Int, createdAt: Date) {
            self.batchID = batchID
            self.status = status
            self.strategy = strategy
            self.orders = orders
            self.createdAt = createdAt
        }
    }

    public struct Event: Sendable, Hashable {
        public var at: Date
        public var action: String
        public var actor: String

        public init(at: Date, action: String, actor: String) {
            self.at = at
            self.action = action
            self.actor = actor
        }
    }

    public var viewer: Viewer
    public var clientID: Int
    public var name: String
    public var email: String
    public var riskTolerance: String
    public var portfolio: String
    public var preferences: [(label: String, value: String)]
    public var accounts: [Account]
    public var holdings: [Holding]
    public var valueHistory: [(date: Date, value: Double)]
    public var goals: [Goal]
    public var batches: [Batch]
    public var audit: [Event]

    public init(viewer: Viewer, clientID: Int, name: String, email: String, riskTolerance: String, portfolio: String,
                preferences: [(label: String, value: String)], accounts: [Account], holdings: [Holding], valueHistory: [(date: Date, value: Double)],
                goals: [Goal], batches: [Batch], audit: [Event]) {
        self.viewer = viewer
        self.clientID = clientID
        self.name = name
        self.email = email
        self.riskTolerance = riskTolerance
        self.portfolio = portfolio
        self.preferences = preferences
        self.accounts = accounts
        self.holdings = holdings
        self.valueHistory = valueHistory
        self.goals = goals
        self.batches = batches
        self.audit = audit
    }
}

public enum ClientDetailPage {
    public static func render(_ model: ClientDetailModel) -> String {
        let allocation = AllocationChart(title: "Holdings against target weights",
                                         rows: model.holdings.map { .init(symbol: $0.symbol, weight: $0.weight, target: $0.target) }).svg()
        let equity = LineChart(title: "Recorded account value", series: [.init(name: "value", points: model.valueHistory)]).svg()
        let total = model.accounts.reduce(0) { $0 + $1.value }
        return PageLayout.document(title: model.name, section: .clients, viewer: model.viewer, content: .group(
            .p(.a(.href("/app/clients"), "← Clients")),
            .h1(.text(model.name)),
            .p(.class("label"), .text("Client \(model.clientID) · \(model.email) · \(model.riskTolerance) · \(model.portfolio) · \(Format.money(total))")),
            .div(
                .class("grid"),
                .section(.class("card"), .h2("Accounts"), .table(
                    .tr(.th("Account"), .th("Broker"), .th("Status"), .th("Cash"), .th("Value")),
                    .forEach(model.accounts) { account in
                        .tr(.td(.text(account.accountHash)), .td(.text(account.broker)), .td(.text(account.status)),
                            .td(.text(Format.money(account.cash))), .td(.text(Format.money(account.value))))
                    })),
                .section(.class("card"), .h2("Preferences"), .table(.forEach(model.preferences) { row in .tr(.th(.text(row.label)), .td(.text(row.value))) }))
            ),
            .section(.class("card"), .style("margin-top:1rem"), .h2("Holdings"), .raw(allocation), .table(
                .tr(.th("Symbol"), .th("Quantity"), .th("Price"), .th("Value"), .th("Weight"), .th("Target")),
                .forEach(model.holdings) { holding in
                    .tr(.td(.text(holding.symbol)), .td(.text(String(format: "%g", holding.quantity))), .td(.text(Format.money(holding.price))),
                        .td(.text(Format.money(holding.value))), .td(.text(Format.percent(holding.weight))), .td(.text(Format.percent(holding.target))))
                })),
            .section(.class("card"), .style("margin-top:1rem"), .h2("Value over time"), .raw(equity)),
            .div(
                .class("grid"), .style("margin-top:1rem"),
                .section(.class("card"), .h2("Goals"),
                         .if(model.goals.isEmpty, .p("No goals yet.")),
                         .forEach(model.goals) { goal in
                             .div(.p(.text("\(goal.name) (\(goal.status))")),
                                  .element(named: "progress", nodes: [.attribute(named: "max", value: "1"),
                                                                      .attribute(named: "value", value: Markup.escape(String(format: "%.3f", min(max(goal.progress ?? 0, 0), 1)))),
                                                                      .attribute(named: "aria-label", value: Markup.escape("\(goal.name) progress")),
                                                                      .text(Format.percent(goal.progress))]))
                         }),
                .section(.class("card"), .h2("Batches"), .table(
                    .tr(.th("Planned"), .th("Strategy"), .th("Orders"), .th("Status")),
                    .forEach(model.batches) { batch in
                        .tr(.td(.text(Format.time(batch.createdAt))), .td(.text(batch.strategy)), .td(.text("\(batch.orders)")), .td(.text(batch.status)))
                    }))
            ),
            .section(.class("card"), .style("margin-top:1rem"), .h2("Audit trail"), .table(
                .tr(.th("When"), .th("What"), .th("Who")),
                .forEach(model.audit) { event in .tr(.td(.text(Format.time(event.at))), .td(.text(event.action)), .td(.text(event.actor))) }))
        ))
    }
}
