import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's client pages: the searchable directory with the onboarding form, and one client's book.
/// Registered behind the session check (see `registerRoutes`).
struct WorkspaceClientsController: RouteCollection {
    struct OnboardingForm: Content {
        var firstName: String?
        var lastName: String?
        var email: String?
        var phone: String?
        var riskTolerance: String?

        // Forms are not decoded with the JSON API's snake_case strategy: the keys are spelled out.
        enum CodingKeys: String, CodingKey {
            case firstName = "first_name", lastName = "last_name", email, phone, riskTolerance = "risk_tolerance"
        }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("clients", use: list).openAPI("The client directory: search, pages, and the onboarding form (staff)", response: .html)
        routes.post("clients", use: onboard)
            .openAPI("Onboard a client (form post): its page, or the form again with each error beside its field", response: .html, redirect: .seeOther)
        routes.get("clients", ":client_id", use: detail)
            .openAPI("A client's book: accounts, preferences, holdings against targets, equity and drawdown since inception, goals, batches, audit", response: .html)
        routes.post("clients", ":client_id", "preferences", use: savePreferences)
            .openAPI("Save a client's preferences (form post): the page again, with each error beside its field when refused", response: .html, redirect: .seeOther)
        routes.post("clients", ":client_id", "accounts", use: linkPaperAccount)
            .openAPI("Open a paper account for the client (form post): the page again, with each error beside its field when refused", response: .html, redirect: .seeOther)
        routes.post("clients", ":client_id", "rebalance", use: proposeRebalance)
            .openAPI("Propose a rebalance of one of the client's accounts (form post): the batch in the approval queue", status: .seeOther, response: .redirect)
        routes.post("clients", ":client_id", "batches", ":batch_id", "execute", use: execute)
            .openAPI("Execute an approved batch (form post): back to the client's page with the outcome", status: .seeOther, response: .redirect)
        routes.post("clients", ":client_id", "schwab", use: startSchwabLink)
            .openAPI("Start linking a Schwab login (form post): a redirect to Schwab's sign-in", status: .seeOther, response: .redirect)
    }

    func list(req: Request) async throws -> Response {
        try await page(req, onboarding: ClientListModel.Onboarding(), notice: nil)
    }

    func page(_ req: Request, onboarding: ClientListModel.Onboarding, notice: String?) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            if let own = principal.clientID { return req.redirect(to: "/app/clients/\(own)", redirectType: .normal) }
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Clients", message: "The client directory is for advisors."))
        }
        let query = (try? req.query.get(String.self, at: "q")) ?? ""
        let requested = (try? req.query.get(Int.self, at: "page")) ?? 1
        let directory = try await ClientWorkspace(context: req.keel.context).directory(query: query, page: min(max(requested, 1), 100_000), by: principal)
        let rows = directory.rows.map { row in
            ClientListModel.Row(clientID: row.client.clientID, name: "\(row.client.firstName) \(row.client.lastName)", email: row.client.email,
                                riskTolerance: row.client.riskTolerance, status: row.client.status.rawValue, accounts: row.accounts, value: row.value)
        }
        return WebSession.page(ClientListPage.render(ClientListModel(viewer: viewer, query: query, page: directory.page, pageSize: directory.pageSize,
                                                                total: directory.total, rows: rows, onboarding: onboarding, notice: notice)))
    }

    func onboard(req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(OnboardingForm.self)) ?? OnboardingForm()
        var typed = ClientListModel.Onboarding(firstName: String((form.firstName ?? "").prefix(200)), lastName: String((form.lastName ?? "").prefix(200)),
                                               email: String((form.email ?? "").prefix(300)), phone: String((form.phone ?? "").prefix(50)),
                                               riskTolerance: form.riskTolerance ?? "moderate")
        do {
            let phone = typed.phone.trimmingCharacters(in: .whitespaces)
            let client = try await req.keel.clients.create(ClientInput(firstName: typed.firstName, lastName: typed.lastName, email: typed.email,
                                                                       phone: phone.isEmpty ? nil : phone, riskTolerance: typed.riskTolerance), by: principal)
            return req.redirect(to: "/app/clients/\(client.clientID)", redirectType: .normal)
        } catch let error as ServiceError {
            if let field = error.field { typed.errors[field] = error.message } else { typed.message = error.message }
            return try await page(req, onboarding: typed, notice: nil)
        }
    }

    struct PreferencesFormBody: Content {
        var portfolioId: String?
        var maxPositions: String?
        var maxWeight: String?
        var cashBuffer: String?
        var driftThreshold: String?
        var maxDrawdownLimit: String?
        var deriskAction: String?
        var tradingMode: String?
        var excludedSymbols: String?
        var requireApproval: String?

        enum CodingKeys: String, CodingKey {
            case portfolioId = "portfolio_id", maxPositions = "max_positions", maxWeight = "max_weight", cashBuffer = "cash_buffer",
                 driftThreshold = "drift_threshold", maxDrawdownLimit = "max_drawdown_limit", deriskAction = "derisk_action", tradingMode = "trading_mode",
                 excludedSymbols = "excluded_symbols", requireApproval = "require_approval"
        }

        var values: [String: String] {
            ["portfolio_id": portfolioId, "max_positions": maxPositions, "max_weight": maxWeight, "cash_buffer": cashBuffer, "drift_threshold": driftThreshold,
             "max_drawdown_limit": maxDrawdownLimit, "derisk_action": deriskAction, "trading_mode": tradingMode, "excluded_symbols": excludedSymbols]
                .compactMapValues { $0.map { String($0.prefix(2_000)) } }
        }
    }

    struct PaperAccountBody: Content {
        var nickname: String?
        var startingCash: String?

        enum CodingKeys: String, CodingKey { case nickname, startingCash = "starting_cash" }
    }

    static let messages: [String: String] = [
        "preferences": "The preferences are saved.", "account": "The paper account is open.", "schwab_not_configured": "Schwab is not configured on this server.",
        "executed": "The batch was executed: the holdings below are after it.",
        "submitted": "The orders are at the broker: those whose market is closed fill on its next session, and the batch finishes then.", "nothing_to_trade": "The account is on target: nothing to trade.",
        "rebalance": "No rebalance could be planned for that account.", "execution": "The batch could not be executed; its status below says why.",
        "risk_check_failed": "A pre-trade check refused the batch; nothing was sent.", "kill_switch_engaged": "The kill switch is engaged: nothing is sent.",
    ]

    func detail(req: Request) async throws -> Response {
        guard let clientID = req.parameters.get("client_id", as: Int.self) else {
            let (_, viewer) = try WebSession.viewer(req)
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Client", message: "There is no such client."), status: .notFound)
        }
        return try await render(req, clientID: clientID, preferencesForm: nil, paperForm: .init())
    }

    /// One client's page; `preferencesForm` carries what was typed when a save was refused.
    func render(_ req: Request, clientID: Int, preferencesForm typed: ClientDetailModel.PreferencesForm?, paperForm: ClientDetailModel.PaperAccountForm) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        let detail: ClientWorkspace.Detail
        do {
            detail = try await ClientWorkspace(context: req.keel.context).detail(clientID: clientID, by: principal)
        } catch let error as ServiceError where error.kind == .forbidden || error.kind == .notFound {
            // The same answer for another client's page and a missing one: nothing to learn from trying ids.
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Client", message: "There is no such client, or it is not yours to see."), status: .notFound)
        }
        let preferences: [(label: String, value: String)] = detail.preferences.map { p in
            [("Model portfolio", detail.portfolioName), ("Max positions", "\(p.maxPositions)"), ("Max weight", Format.percent(p.maxWeight)),
             ("Cash buffer", Format.percent(p.cashBuffer)), ("Drift threshold", Format.percent(p.driftThreshold)),
             ("Approval", p.requireApproval ? "required" : "automatic"), ("Trading mode", p.tradingMode.rawValue),
             ("Drawdown limit", p.maxDrawdownLimit.map { Format.percent($0) } ?? "none"), ("Excluded", p.excludedSymbols.isEmpty ? "none" : p.excludedSymbols.joined(separator: ", "))]
        } ?? []
        // Staff edit the preferences; the form starts from what is stored.
        let form = typed ?? detail.preferences.flatMap { p -> ClientDetailModel.PreferencesForm? in
            guard principal.role.isStaff else { return nil }
            return .init(values: ["portfolio_id": String(p.portfolioID), "max_positions": String(p.maxPositions), "max_weight": Self.number(p.maxWeight),
                                  "cash_buffer": Self.number(p.cashBuffer), "drift_threshold": Self.number(p.driftThreshold),
                                  "max_drawdown_limit": p.maxDrawdownLimit.map(Self.number) ?? "0", "derisk_action": p.deriskAction.rawValue,
                                  "trading_mode": p.tradingMode.rawValue, "excluded_symbols": p.excludedSymbols.joined(separator: ", ")],
                         requireApproval: p.requireApproval)
        }
        let portfolios = try await req.keel.context.database.read { try await $0.referenceData.modelPortfolios() }
        func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }
        let model = ClientDetailModel(
            viewer: viewer, clientID: detail.client.clientID, name: "\(detail.client.firstName) \(detail.client.lastName)", email: detail.client.email,
            riskTolerance: detail.client.riskTolerance, portfolio: detail.portfolioName, preferences: preferences,
            accounts: detail.accounts.map { .init(accountHash: $0.account.accountHash, broker: $0.account.brokerage.code,
                                                  status: $0.account.isHalted ? "halted" : $0.account.status.rawValue, cash: double($0.account.cash), value: $0.value) },
            holdings: detail.holdings.map { .init(symbol: $0.symbol, quantity: $0.quantity, price: $0.price, value: $0.value, weight: $0.weight, target: $0.target) },
            equity: detail.equity.map { ($0.date, $0.value, $0.drawdown) },
            goals: detail.goals.map { goal in
                .init(name: goal.name, status: goal.status.rawValue, progress: goal.progressPct.isFinite ? goal.progressPct / 100 : nil,
                      history: (detail.goalHistory[goal.goalID] ?? []).map { ($0.recordedAt, $0.progressPct) },
                      link: "/app/goals?user=" + (goal.userID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            },
            batches: detail.batches.map { .init(batchID: $0.batchID, status: $0.status.rawValue, strategy: $0.strategy, orders: $0.orders.count, createdAt: $0.createdAt) },
            audit: detail.audit.map { .init(at: $0.at, action: $0.action, actor: $0.actor) },
            preferencesForm: form, portfolios: portfolios.map { ($0.id, $0.name) }, paperForm: paperForm, schwabConfigured: req.keel.schwab != nil,
            notice: (try? req.query.get(String.self, at: "done")).flatMap { Self.messages[$0] },
            error: (try? req.query.get(String.self, at: "error")).map { Self.messages[$0] ?? "The action failed." })
        // The Schwab link form's answer sends the browser on to Schwab's sign-in: the policy allows that origin.
        return WebSession.page(ClientDetailPage.render(model), formRedirect: req.keel.schwab?.client.configuration.baseURL)
    }

    /// A fraction as the form shows it: no trailing zeros.
    static func number(_ value: Double) -> String { String(format: "%g", value) }

    func savePreferences(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: "/app/clients", redirectType: .normal) }
        let body = (try? req.content.decode(PreferencesFormBody.self)) ?? PreferencesFormBody()
        var form = ClientDetailModel.PreferencesForm(values: body.values, requireApproval: body.requireApproval == "true")
        var input = PreferencesInput(requireApproval: form.requireApproval)
        func number(_ field: String) -> Double? {
            guard let text = form.values[field]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            guard let value = Double(text), value.isFinite else { form.errors[field] = "\(field) must be a number"; return nil }
            return value
        }
        if let text = form.values["portfolio_id"], !text.isEmpty {
            if let id = Int(text) { input.portfolioID = id } else { form.errors["portfolio_id"] = "Choose one of the model portfolios." }
        }
        if let text = form.values["max_positions"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            if let count = Int(text) { input.maxPositions = count } else { form.errors["max_positions"] = "max_positions must be a whole number" }
        }
        input.maxWeight = number("max_weight")
        input.cashBuffer = number("cash_buffer")
        input.driftThreshold = number("drift_threshold")
        input.maxDrawdownLimit = number("max_drawdown_limit")
        input.deriskAction = form.values["derisk_action"].flatMap { $0.isEmpty ? nil : $0 }
        input.tradingMode = form.values["trading_mode"].flatMap { $0.isEmpty ? nil : $0 }
        input.excludedSymbols = form.values["excluded_symbols"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty } }
        if form.errors.isEmpty {
            do {
                _ = try await req.keel.preferences.update(clientID: clientID, with: input, by: principal)
                return req.redirect(to: "/app/clients/\(clientID)?done=preferences", redirectType: .normal)
            } catch let error as ServiceError where error.kind != .notFound && error.kind != .forbidden {
                if let field = error.field { form.errors[field.split(separator: ".").first.map(String.init) ?? field] = error.message } else { form.message = error.message }
            }
        }
        return try await render(req, clientID: clientID, preferencesForm: form, paperForm: .init())
    }

    func linkPaperAccount(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: "/app/clients", redirectType: .normal) }
        let body = (try? req.content.decode(PaperAccountBody.self)) ?? PaperAccountBody()
        var form = ClientDetailModel.PaperAccountForm(nickname: String((body.nickname ?? "").prefix(200)), startingCash: String((body.startingCash ?? "").prefix(30)))
        let cashText = form.startingCash.trimmingCharacters(in: .whitespaces)
        let cash = cashText.isEmpty ? nil : Decimal(string: cashText)
        if !cashText.isEmpty && cash == nil { form.errors["starting_cash"] = "starting_cash must be a number" }
        if form.errors.isEmpty {
            do {
                let nickname = form.nickname.trimmingCharacters(in: .whitespaces)
                _ = try await req.keel.accounts.link(AccountLinkInput(clientID: clientID, brokerageID: AccountService.paperBrokerageID, accountNumber: nil, accountHash: nil,
                                                                      accountType: "individual", nickname: nickname.isEmpty ? nil : nickname, startingCash: cash),
                                                     by: principal)
                return req.redirect(to: "/app/clients/\(clientID)?done=account", redirectType: .normal)
            } catch let error as ServiceError where error.kind != .notFound && error.kind != .forbidden {
                form.errors[error.field ?? "nickname"] = error.message
            }
        }
        return try await render(req, clientID: clientID, preferencesForm: nil, paperForm: form)
    }

    /// Plans a rebalance of the account to its model portfolio; the batch goes to the approval queue (or, for a
    /// client whose batches need no approval, straight to the client's page to execute).
    func proposeRebalance(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: "/app/clients", redirectType: .normal) }
        let accountHash = try? req.content.get(String.self, at: "account_hash")
        do {
            let batch = try await req.keel.rebalancing.rebalance(RebalanceRequest(clientID: clientID, accountHash: accountHash), by: principal)
            if batch.orders.isEmpty {
                // An empty batch would only wait in the queue: it is closed at once, with the reason.
                if batch.status == .pendingApproval {
                    _ = try await req.keel.approvals.reject(batch.batchID, reason: "nothing to trade: the account is on its targets", by: principal)
                }
                return req.redirect(to: "/app/clients/\(clientID)?done=nothing_to_trade", redirectType: .normal)
            }
            // Batch ids are the server's own UUIDs: safe in a URL as they are.
            return req.redirect(to: batch.status == .pendingApproval ? "/app/approvals#batch-\(batch.batchID)" : "/app/clients/\(clientID)", redirectType: .normal)
        } catch is ServiceError {
            return req.redirect(to: "/app/clients/\(clientID)?error=rebalance", redirectType: .normal)
        }
    }

    /// Executes an approved batch in the client's trading mode (paper or live; dry_run clients get a dry run).
    func execute(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: "/app/clients", redirectType: .normal) }
        let batchID = try req.parameters.require("batch_id")
        do {
            let batch = try await req.keel.approvals.get(batchID, by: principal)
            guard batch.clientID == clientID else { return req.redirect(to: "/app/clients/\(clientID)?error=execution", redirectType: .normal) }
            let mode = try await req.keel.preferences.get(clientID: clientID, by: principal).tradingMode
            let report = try await req.keel.execution.execute(batchID: batchID, dryRun: mode == .dryRun, by: principal)
            // Orders outside their market's hours wait at the broker: the batch finishes when they fill.
            let outcome = report.batchStatus == .executed ? "done=executed"
                : BatchStatus.inFlight.contains(report.batchStatus) ? "done=submitted" : "error=execution"
            return req.redirect(to: "/app/clients/\(clientID)?\(outcome)", redirectType: .normal)
        } catch let error as ServiceError {
            return req.redirect(to: "/app/clients/\(clientID)?error=\(Self.messages[error.code] == nil ? "execution" : error.code)", redirectType: .normal)
        }
    }

    /// Starts Schwab's OAuth2 login for the client: a redirect to Schwab's sign-in page.
    func startSchwabLink(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: "/app/clients", redirectType: .normal) }
        guard let schwab = req.keel.schwab else { return req.redirect(to: "/app/clients/\(clientID)?error=schwab_not_configured", redirectType: .normal) }
        do {
            let (url, _) = try await schwab.authorizationURL(clientID: clientID, by: principal)
            return req.redirect(to: url.absoluteString, redirectType: .normal)
        } catch is ServiceError {
            return req.redirect(to: "/app/clients/\(clientID)?error=failed", redirectType: .normal)
        }
    }
}
