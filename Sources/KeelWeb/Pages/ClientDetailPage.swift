import Foundation
import Plot

extension ClientDetailPage {
    /// One client: accounts, preferences, holdings against their targets (table and chart), the accounts' recorded
    /// value over time, goals with progress, batches and the audit trail.
    public struct Model: Sendable {
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

        public struct Goal: Sendable {
            public var name: String
            public var status: String
            /// 0…1 of the way to the target.
            public var progress: Double?
            /// Progress (percent) as measured over time.
            public var history: [(date: Date, value: Double)]
            /// Where the goal's page is (its factor history, adjustments and alerts).
            public var link: String?

            public init(name: String, status: String, progress: Double?, history: [(date: Date, value: Double)] = [], link: String? = nil) {
                self.name = name
                self.status = status
                self.progress = progress
                self.history = history
                self.link = link
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

        /// The preferences form: each field's text as stored or as typed, the API's error beside its field.
        public struct PreferencesForm: Sendable, Hashable {
            public var values: [String: String]
            public var requireApproval: Bool
            public var errors: [String: String]
            public var message: String?

            public init(values: [String: String], requireApproval: Bool, errors: [String: String] = [:], message: String? = nil) {
                self.values = values
                self.requireApproval = requireApproval
                self.errors = errors
                self.message = message
            }
        }

        /// The form that opens a paper account for the client.
        public struct PaperAccountForm: Sendable, Hashable {
            public var nickname: String
            public var startingCash: String
            public var errors: [String: String]

            public init(nickname: String = "", startingCash: String = "100000", errors: [String: String] = [:]) {
                self.nickname = nickname
                self.startingCash = startingCash
                self.errors = errors
            }
        }

        /// Realised gains of the tax year so far, from the lot ledger.
        public struct Tax: Sendable, Hashable {
            public var year: Int
            public var taxable: Bool
            public var shortTermGain: Double
            public var longTermGain: Double
            public var washSaleDisallowed: Double
            public var lotsSold: Int
            public var lotMethod: String
            /// Tax-loss harvesting: on or off, and the year's harvests that traded with the losses their sales realised.
            public var harvesting: Bool = false
            public var harvests: Int = 0
            public var harvestedLoss: Double = 0

            public init(year: Int, taxable: Bool, shortTermGain: Double, longTermGain: Double, washSaleDisallowed: Double, lotsSold: Int, lotMethod: String) {
                self.year = year
                self.taxable = taxable
                self.shortTermGain = shortTermGain
                self.longTermGain = longTermGain
                self.washSaleDisallowed = washSaleDisallowed
                self.lotsSold = lotsSold
                self.lotMethod = lotMethod
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
        /// Value and drawdown since inception, day by day.
        public var equity: [(date: Date, value: Double, drawdown: Double)]
        public var goals: [Goal]
        public var batches: [Batch]
        public var audit: [Event]
        /// The tax year so far (nil for a client none of whose accounts is taxable and who sold nothing).
        public var tax: Tax? = nil
        /// Absent: the preferences are shown, not edited (no preferences yet).
        public var preferencesForm: PreferencesForm?
        public var portfolios: [(id: Int, name: String)]
        public var paperForm: PaperAccountForm
        public var schwabConfigured: Bool
        public var notice: String?
        public var error: String?

        public init(viewer: Viewer, clientID: Int, name: String, email: String, riskTolerance: String, portfolio: String,
                    preferences: [(label: String, value: String)], accounts: [Account], holdings: [Holding],
                    equity: [(date: Date, value: Double, drawdown: Double)], goals: [Goal], batches: [Batch], audit: [Event], tax: Tax? = nil,
                    preferencesForm: PreferencesForm? = nil, portfolios: [(id: Int, name: String)] = [], paperForm: PaperAccountForm = .init(),
                    schwabConfigured: Bool = false, notice: String? = nil, error: String? = nil) {
            self.viewer = viewer
            self.tax = tax
            self.clientID = clientID
            self.name = name
            self.email = email
            self.riskTolerance = riskTolerance
            self.portfolio = portfolio
            self.preferences = preferences
            self.accounts = accounts
            self.holdings = holdings
            self.equity = equity
            self.goals = goals
            self.batches = batches
            self.audit = audit
            self.preferencesForm = preferencesForm
            self.portfolios = portfolios
            self.paperForm = paperForm
            self.schwabConfigured = schwabConfigured
            self.notice = notice
            self.error = error
        }
    }
}

public enum ClientDetailPage {
    /// The texts an action's outcome code shows (fixed: a link cannot make the page say anything).
    public static let messages: [String: String] = [
        "preferences": "The preferences are saved.", "account": "The paper account is open.", "schwab_not_configured": "Schwab is not configured on this server.",
        "executed": "The batch was executed: the holdings below are after it.",
        "submitted": "The orders are at the broker: those whose market is closed fill on its next session, and the batch finishes then.", "nothing_to_trade": "The account is on target: nothing to trade.",
        "rebalance": "No rebalance could be planned for that account.", "execution": "The batch could not be executed; its status below says why.",
        "risk_check_failed": "A pre-trade check refused the batch; nothing was sent.", "kill_switch_engaged": "The kill switch is engaged: nothing is sent.",
    ]

    public static func render(_ model: Model) -> String {
        let allocation = AllocationChart(title: "Holdings against target weights",
                                         rows: model.holdings.map { .init(symbol: $0.symbol, weight: $0.weight, target: $0.target) }).node()
        let equity = LineChart(title: "Value since inception", series: [.init(name: "value", points: model.equity.map { ($0.date, $0.value) })]).node()
        let drawdown = LineChart(title: "Drawdown since inception", series: [.init(name: "drawdown", points: model.equity.map { ($0.date, $0.drawdown) }, colour: "#a4161a")],
                                 format: { Format.percent($0, digits: 0) }).node()
        let total = model.accounts.reduce(0) { $0 + $1.value }
        return PageLayout.document(title: model.name, section: .clients, viewer: model.viewer, content: .group(
            .p(.a(.href(to: .clients), "← Clients")),
            .h1(.text(model.name)),
            .p(.class("label"), .text("Client \(model.clientID) · \(model.email) · \(model.riskTolerance) · \(model.portfolio) · \(Format.money(total))")),
            Controls.banners(notice: model.notice, error: model.error),
            // The accounts table takes the whole width (hashes are long); linking and preferences share a row below it.
            .section(.class("card"), .h2("Accounts"), .table(
                    .tr(.th("Account"), .th("Broker"), .th("Status"), .th("Cash"), .th("Value"), .th("")),
                    .forEach(model.accounts) { account in
                        .tr(.td(.text(account.accountHash)), .td(.text(account.broker)), .td(.text(account.status)),
                            .td(.text(Format.money(account.cash))), .td(.text(Format.money(account.value))),
                            .td(.if(model.viewer.role != "client" && account.status == "active", .form(
                                .class("inline"), .method(.post), .action(to: .clientRebalance(model.clientID)),
                                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                                .input(.type(.hidden), .name("account_hash"), .value(Markup.escape(account.accountHash))),
                                .button(.class("secondary"), .type(.submit), .attribute(named: "aria-label", value: Markup.escape("Propose a rebalance of \(account.accountHash)")),
                                        "Propose a rebalance")))))
                    })),
            .div(
                .class("grid"), .style("margin-top:1rem"),
                .if(model.viewer.role != "client", .section(.class("card"), linking(model))),
                .section(.class("card"), .h2("Preferences"),
                         .unwrap(model.preferencesForm, { preferencesForm($0, model: model) },
                                 else: .table(.forEach(model.preferences) { row in .tr(.th(.text(row.label)), .td(.text(row.value))) })))
            ),
            .section(.class("card"), .style("margin-top:1rem"), .h2("Holdings"), allocation, .table(
                .tr(.th("Symbol"), .th("Quantity"), .th("Price"), .th("Value"), .th("Weight"), .th("Target")),
                .forEach(model.holdings) { holding in
                    .tr(.td(.text(holding.symbol)), .td(.text(String(format: "%g", holding.quantity))), .td(.text(Format.money(holding.price))),
                        .td(.text(Format.money(holding.value))), .td(.text(Format.percent(holding.weight))), .td(.text(Format.percent(holding.target))))
                })),
            .section(.class("card"), .style("margin-top:1rem"), .h2("Equity and drawdown since inception"),
                     .p(.class("label"), "Rebuilt backwards from today's holdings and cash through the recorded fills, at the daily closes (holdings the account was linked with count from the start); money moved in or out outside Keel is not in it."),
                     equity, drawdown),
            .div(
                .class("grid"), .style("margin-top:1rem"),
                .section(.class("card"), .h2("Goals"),
                         .if(model.goals.isEmpty, .p("No goals yet.")),
                         .forEach(model.goals) { goal in
                             .div(.p(.text("\(goal.name) (\(goal.status))")),
                                  Controls.progress(goal.progress, label: "\(goal.name) progress"),
                                  .if(goal.history.count > 1, LineChart(title: "\(goal.name): progress over time", series: [.init(name: "progress", points: goal.history)],
                                                                             format: { Format.percent($0 / 100, digits: 0) }).node()),
                                  .unwrap(goal.link) { .p(.a(.href(Markup.escape($0)), "History, adjustments and alerts")) })
                         }),
                .section(.class("card"), .h2("Batches"), .table(
                    .tr(.th("Planned"), .th("Strategy"), .th("Orders"), .th("Status"), .th("")),
                    .forEach(model.batches) { batch in
                        .tr(.td(.text(Format.time(batch.createdAt))), .td(.text(batch.strategy)), .td(.text("\(batch.orders)")), .td(.text(batch.status)),
                            .td(.if(model.viewer.role != "client" && batch.status == "approved", .form(
                                .class("inline"), .method(.post), .action(to: .executeBatch(clientID: model.clientID, batchID: batch.batchID)),
                                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                                .button(.type(.submit), .attribute(named: "aria-label", value: Markup.escape("Execute batch \(batch.batchID)")), "Execute"))),
                                .if(batch.status == "pending_approval", .a(.href(to: .approvals, fragment: "batch-\(batch.batchID)"), "Review"))))
                    }))
            ),
            .unwrap(model.tax) { taxSection($0, clientID: model.clientID) },
            .section(.class("card"), .style("margin-top:1rem"), .h2("Audit trail"), .table(
                .tr(.th("When"), .th("What"), .th("Who")),
                .forEach(model.audit) { event in .tr(.td(.text(Format.time(event.at))), .td(.text(event.action)), .td(.text(event.actor))) }))
        ))
    }

    static func field(_ name: String, _ label: String, _ value: String, error: String?, type: HTMLInputType = .text, prefix: String) -> Node<HTML.FormContext> {
        let id = "\(prefix)-\(name)"
        return .group(
            .label(.for(Markup.escape(id)), .text(label)),
            .input(.type(type), .name(Markup.escape(name)), .id(Markup.escape(id)), .value(Markup.escape(value)), .attribute(named: "step", value: "any"),
                   .attribute(named: "aria-invalid", value: error == nil ? "false" : "true"), .attribute(named: "aria-describedby", value: Markup.escape("\(id)-error"))),
            .p(.class("error"), .id(Markup.escape("\(id)-error")), .text(error ?? ""))
        )
    }

    static func select(_ name: String, _ label: String, options: [(value: String, label: String)], chosen: String?, prefix: String) -> Node<HTML.FormContext> {
        let id = "\(prefix)-\(name)"
        return .group(
            .label(.for(Markup.escape(id)), .text(label)),
            .select(.attribute(named: "name", value: Markup.escape(name)), .attribute(named: "id", value: Markup.escape(id)),
                    .forEach(options) { option in
                        .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(option.value)),
                                                          .if(option.value == chosen, .attribute(named: "selected", value: "selected")), .text(option.label)])
                    })
        )
    }

    /// The tax year so far: realised gains by term, wash-sale disallowances, the Form 8949 rows to download.
    static func taxSection(_ tax: Model.Tax, clientID: Int) -> Node<HTML.BodyContext> {
        .section(
            .class("card"), .style("margin-top:1rem"), .h2(.text("Taxes \(tax.year)")),
            .p(.class("label"), .text((tax.taxable ? "Taxable: rebalancing follows the tax rules (no wash sale by itself, drift sales wait for short-term gains about to turn long-term); "
                                         : "Not taxable: rebalancing ignores taxes; ") + "lots sold by \(tax.lotMethod.replacingOccurrences(of: "_", with: " ")). Not tax advice.")),
            .table(
                .tr(.th("Short-term realised gain"), .td(.text(Format.money(tax.shortTermGain)))),
                .tr(.th("Long-term realised gain"), .td(.text(Format.money(tax.longTermGain)))),
                .tr(.th("Loss disallowed by wash sales"), .td(.text(Format.money(tax.washSaleDisallowed)))),
                .tr(.th("Lots sold"), .td(.text("\(tax.lotsSold)"))),
                .tr(.th("Tax-loss harvesting"), .td(.text(tax.harvesting || tax.harvests > 0
                    ? "\(tax.harvesting ? "on" : "off"): \(tax.harvests) harvest(s) this year, \(Format.money(tax.harvestedLoss)) of losses realised"
                    : "off")))
            ),
            .p(.a(.href(to: .clientForm8949(clientID), ["year": String(tax.year)]), .text("Form 8949 rows for \(tax.year) (CSV)")))
        )
    }

    static func preferencesForm(_ form: Model.PreferencesForm, model: Model) -> Node<HTML.BodyContext> {
        func value(_ name: String) -> String { form.values[name] ?? "" }
        return .group(
            .unwrap(form.message) { .p(.class("error"), .attribute(named: "role", value: "alert"), .text($0)) },
            .form(
                .method(.post), .action(to: .clientPreferences(model.clientID)),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                select("portfolio_id", "Model portfolio", options: model.portfolios.map { (String($0.id), $0.name) }, chosen: value("portfolio_id"), prefix: "pref"),
                field("max_positions", "Max positions", value("max_positions"), error: form.errors["max_positions"], type: .number, prefix: "pref"),
                field("max_weight", "Max weight per name (fraction: 0.25 = 25 %)", value("max_weight"), error: form.errors["max_weight"], type: .number, prefix: "pref"),
                field("cash_buffer", "Cash buffer (fraction)", value("cash_buffer"), error: form.errors["cash_buffer"], type: .number, prefix: "pref"),
                field("drift_threshold", "Drift threshold (fraction)", value("drift_threshold"), error: form.errors["drift_threshold"], type: .number, prefix: "pref"),
                field("max_drawdown_limit", "Drawdown limit (fraction; 0 for none)", value("max_drawdown_limit"), error: form.errors["max_drawdown_limit"], type: .number, prefix: "pref"),
                select("derisk_action", "When a limit is breached", options: [("defensive", "move to the defensive portfolio"), ("cash", "hold a quarter of the exposure")],
                       chosen: value("derisk_action"), prefix: "pref"),
                select("trading_mode", "Trading mode", options: [("dry_run", "dry run"), ("paper", "paper"), ("live", "live")], chosen: value("trading_mode"), prefix: "pref"),
                .p(.class("error"), .text(form.errors["trading_mode"] ?? "")),
                field("excluded_symbols", "Excluded symbols (comma separated)", value("excluded_symbols"), error: form.errors["excluded_symbols"], prefix: "pref"),
                .label(.for("pref-require_approval"), form.requireApproval
                       ? .input(.type(.checkbox), .name("require_approval"), .id("pref-require_approval"), .value("true"),
                                .attribute(named: "style", value: "width:auto;margin-right:.4rem"), .attribute(named: "checked", value: "checked"))
                       : .input(.type(.checkbox), .name("require_approval"), .id("pref-require_approval"), .value("true"),
                                .attribute(named: "style", value: "width:auto;margin-right:.4rem")),
                       "An advisor approves every batch"),
                .p(.button(.type(.submit), "Save preferences"))
            )
        )
    }

    static func linking(_ model: Model) -> Node<HTML.BodyContext> {
        let form = model.paperForm
        return .group(
            .h2("Link an account"),
            .form(
                .method(.post), .action(to: .clientAccounts(model.clientID)),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                field("nickname", "Paper account nickname", form.nickname, error: form.errors["nickname"], prefix: "paper"),
                field("starting_cash", "Starting cash", form.startingCash, error: form.errors["starting_cash"], type: .number, prefix: "paper"),
                .p(.button(.type(.submit), "Open a paper account"))
            ),
            model.schwabConfigured
                ? .form(.method(.post), .action(to: .clientSchwab(model.clientID)),
                        .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                        .p(.button(.class("secondary"), .type(.submit), "Link a Schwab login…")),
                        .p(.class("label"), "Opens Schwab's sign-in; the client's accounts are linked when Schwab sends them back."))
                : .p(.class("label"), "Schwab linking is off: this server has no Schwab app key (KEEL_SCHWAB_APP_KEY, KEEL_SCHWAB_APP_SECRET, KEEL_PUBLIC_URL).")
        )
    }
}
