import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import KeelWorkspace
import Vapor

/// The workspace's client pages: the searchable directory with the onboarding form, and one client's book.
/// Registered behind the session check (see `registerRoutes`).
struct WorkspaceClientsController: RouteCollection {
    let query: ClientPagesQuery
    let clients: ClientService
    let preferences: PreferencesService
    let accounts: AccountService
    let rebalancing: RebalanceService
    let approvals: ApprovalService
    let execution: ExecutionService
    let schwab: SchwabLinkService?
    let tax: TaxService
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
        routes.on(.GET, .clients, use: list).openAPI("The client directory: search, pages, and the onboarding form (staff)", response: .html)
        routes.on(.POST, .clients, use: onboard)
            .openAPI("Onboard a client (form post): its page, or the form again with each error beside its field", response: .html, redirect: .seeOther)
        routes.on(.GET, WorkspaceRoute.client, use: detail)
            .openAPI("A client's book: accounts, preferences, holdings against targets, equity and drawdown since inception, goals, batches, audit", response: .html)
        routes.on(.POST, WorkspaceRoute.clientPreferences, use: savePreferences)
            .openAPI("Save a client's preferences (form post): the page again, with each error beside its field when refused", response: .html, redirect: .seeOther)
        routes.on(.POST, WorkspaceRoute.clientAccounts, use: linkPaperAccount)
            .openAPI("Open a paper account for the client (form post): the page again, with each error beside its field when refused", response: .html, redirect: .seeOther)
        routes.on(.POST, WorkspaceRoute.clientRebalance, use: proposeRebalance)
            .openAPI("Propose a rebalance of one of the client's accounts (form post): the batch in the approval queue", status: .seeOther, response: .redirect)
        routes.on(.POST, WorkspaceRoute.executeBatch, use: execute)
            .openAPI("Execute an approved batch (form post): back to the client's page with the outcome", status: .seeOther, response: .redirect)
        routes.on(.GET, WorkspaceRoute.clientForm8949, use: form8949)
            .openAPI("A client's realised lots of a tax year as Form 8949 rows (CSV download; not tax advice)", response: .csv)
        routes.on(.POST, WorkspaceRoute.clientSchwab, use: startSchwabLink)
            .openAPI("Start linking a Schwab login (form post): a redirect to Schwab's sign-in", status: .seeOther, response: .redirect)
    }

    func list(req: Request) async throws -> Response {
        try await page(req, onboarding: ClientListPage.Model.Onboarding(), notice: nil)
    }

    func page(_ req: Request, onboarding: ClientListPage.Model.Onboarding, notice: String?) async throws -> Response {
        let reader = try req.pageViewer
        return try await query.directory(query: req.queryText("q"), page: try? req.query.get(Int.self, at: "page"), onboarding: onboarding, notice: notice,
                                         for: reader)
            .response(req, viewer: reader.viewer, ClientListPage.render)
    }

    func onboard(req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(OnboardingForm.self)) ?? OnboardingForm()
        var typed = ClientListPage.Model.Onboarding(firstName: String((form.firstName ?? "").prefix(200)), lastName: String((form.lastName ?? "").prefix(200)),
                                               email: String((form.email ?? "").prefix(300)), phone: String((form.phone ?? "").prefix(50)),
                                               riskTolerance: form.riskTolerance ?? "moderate")
        do {
            let phone = typed.phone.trimmingCharacters(in: .whitespaces)
            let client = try await clients.create(ClientInput(firstName: typed.firstName, lastName: typed.lastName, email: typed.email,
                                                                       phone: phone.isEmpty ? nil : phone, riskTolerance: typed.riskTolerance), by: principal)
            return req.redirect(to: .client(client.clientID))
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

    func detail(req: Request) async throws -> Response {
        guard let clientID = req.parameters.get("client_id", as: Int.self) else {
            return WebSession.page(NoticePage.render(viewer: try req.pageViewer.viewer, title: "Client", message: "There is no such client."), status: .notFound)
        }
        return try await render(req, clientID: clientID, preferencesForm: nil, paperForm: .init())
    }

    /// One client's page; the forms carry what was typed when a save was refused.
    func render(_ req: Request, clientID: Int, preferencesForm typed: ClientDetailPage.Model.PreferencesForm?, paperForm: ClientDetailPage.Model.PaperAccountForm) async throws -> Response {
        let reader = try req.pageViewer
        // The Schwab link form's answer sends the browser on to Schwab's sign-in: the policy allows that origin.
        return try await query.detail(clientID: clientID, preferencesForm: typed, paperForm: paperForm, done: req.queryText("done"), error: req.queryText("error"),
                                      for: reader)
            .response(req, viewer: reader.viewer, formRedirect: schwab?.client.configuration.baseURL, ClientDetailPage.render)
    }

    func savePreferences(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        let body = (try? req.content.decode(PreferencesFormBody.self)) ?? PreferencesFormBody()
        var form = ClientDetailPage.Model.PreferencesForm(values: body.values, requireApproval: body.requireApproval == "true")
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
                _ = try await preferences.update(clientID: clientID, with: input, by: principal)
                return req.redirect(to: .client(clientID), ["done": "preferences"])
            } catch let error as ServiceError where error.kind != .notFound && error.kind != .forbidden {
                if let field = error.field { form.errors[field.split(separator: ".").first.map(String.init) ?? field] = error.message } else { form.message = error.message }
            }
        }
        return try await render(req, clientID: clientID, preferencesForm: form, paperForm: .init())
    }

    func linkPaperAccount(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        let body = (try? req.content.decode(PaperAccountBody.self)) ?? PaperAccountBody()
        var form = ClientDetailPage.Model.PaperAccountForm(nickname: String((body.nickname ?? "").prefix(200)), startingCash: String((body.startingCash ?? "").prefix(30)))
        let cashText = form.startingCash.trimmingCharacters(in: .whitespaces)
        let cash = cashText.isEmpty ? nil : Decimal(string: cashText)
        if !cashText.isEmpty && cash == nil { form.errors["starting_cash"] = "starting_cash must be a number" }
        if form.errors.isEmpty {
            do {
                let nickname = form.nickname.trimmingCharacters(in: .whitespaces)
                _ = try await accounts.link(AccountLinkInput(clientID: clientID, brokerageID: AccountService.paperBrokerageID, accountNumber: nil, accountHash: nil,
                                                                      accountType: "individual", nickname: nickname.isEmpty ? nil : nickname, startingCash: cash),
                                                     by: principal)
                return req.redirect(to: .client(clientID), ["done": "account"])
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
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        let accountHash = try? req.content.get(String.self, at: "account_hash")
        do {
            let batch = try await rebalancing.rebalance(RebalanceRequest(clientID: clientID, accountHash: accountHash), by: principal)
            if batch.orders.isEmpty {
                // An empty batch would only wait in the queue: it is closed at once, with the reason.
                if batch.status == .pendingApproval {
                    _ = try await approvals.reject(batch.batchID, reason: "nothing to trade: the account is on its targets", by: principal)
                }
                return req.redirect(to: .client(clientID), ["done": "nothing_to_trade"])
            }
            return batch.status == .pendingApproval ? req.redirect(to: .approvals, fragment: "batch-\(batch.batchID)") : req.redirect(to: .client(clientID))
        } catch is ServiceError {
            return req.redirect(to: .client(clientID), ["error": "rebalance"])
        }
    }

    /// Executes an approved batch in the client's trading mode (paper or live; dry_run clients get a dry run).
    func execute(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        let batchID = try req.parameters.require("batch_id")
        do {
            let batch = try await approvals.get(batchID, by: principal)
            guard batch.clientID == clientID else { return req.redirect(to: .client(clientID), ["error": "execution"]) }
            let mode = try await preferences.get(clientID: clientID, by: principal).tradingMode
            let report = try await execution.execute(batchID: batchID, dryRun: mode == .dryRun, by: principal)
            // Orders outside their market's hours wait at the broker: the batch finishes when they fill.
            if report.batchStatus == .executed { return req.redirect(to: .client(clientID), ["done": "executed"]) }
            if BatchStatus.inFlight.contains(report.batchStatus) { return req.redirect(to: .client(clientID), ["done": "submitted"]) }
            return req.redirect(to: .client(clientID), ["error": "execution"])
        } catch let error as ServiceError {
            return req.redirect(to: .client(clientID), ["error": ClientDetailPage.messages[error.code] == nil ? "execution" : error.code])
        }
    }

    /// The tax year's Form 8949 rows as a CSV download (the API's, through the session).
    func form8949(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        let year = try? req.query.get(Int.self, at: "year")
        let csv = try await tax.form8949(clientID: clientID, year: year, by: principal)
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"form-8949.csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: csv))
    }

    /// Starts Schwab's OAuth2 login for the client: a redirect to Schwab's sign-in page.
    func startSchwabLink(req: Request) async throws -> Response {
        let principal = try req.principal
        guard let clientID = req.parameters.get("client_id", as: Int.self) else { return req.redirect(to: .clients) }
        guard let schwab else { return req.redirect(to: .client(clientID), ["error": "schwab_not_configured"]) }
        do {
            let (url, _) = try await schwab.authorizationURL(clientID: clientID, by: principal)
            return req.redirect(to: url.absoluteString, redirectType: .normal)
        } catch is ServiceError {
            return req.redirect(to: .client(clientID), ["error": "failed"])
        }
    }
}
