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
        routes.get("clients", ":client_id", use: detail).openAPI("A client's book: accounts, preferences, holdings against targets, goals, batches, audit", response: .html)
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

    func detail(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard let clientID = req.parameters.get("client_id", as: Int.self) else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Client", message: "There is no such client."))
        }
        let detail: ClientWorkspace.Detail
        do {
            detail = try await ClientWorkspace(context: req.keel.context).detail(clientID: clientID, by: principal)
        } catch let error as ServiceError where error.kind == .forbidden || error.kind == .notFound {
            // The same answer for another client's page and a missing one: nothing to learn from trying ids.
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Client", message: "There is no such client, or it is not yours to see."))
        }
        let preferences: [(label: String, value: String)] = detail.preferences.map { p in
            [("Model portfolio", detail.portfolioName), ("Max positions", "\(p.maxPositions)"), ("Max weight", Format.percent(p.maxWeight)),
             ("Cash buffer", Format.percent(p.cashBuffer)), ("Drift threshold", Format.percent(p.driftThreshold)),
             ("Approval", p.requireApproval ? "required" : "automatic"), ("Trading mode", p.tradingMode.rawValue),
             ("Drawdown limit", p.maxDrawdownLimit.map { Format.percent($0) } ?? "none"), ("Excluded", p.excludedSymbols.isEmpty ? "none" : p.excludedSymbols.joined(separator: ", "))]
        } ?? []
        func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }
        let model = ClientDetailModel(
            viewer: viewer, clientID: detail.client.clientID, name: "\(detail.client.firstName) \(detail.client.lastName)", email: detail.client.email,
            riskTolerance: detail.client.riskTolerance, portfolio: detail.portfolioName, preferences: preferences,
            accounts: detail.accounts.map { .init(accountHash: $0.account.accountHash, broker: $0.account.brokerage.code,
                                                  status: $0.account.isHalted ? "halted" : $0.account.status.rawValue, cash: double($0.account.cash), value: $0.value) },
            holdings: detail.holdings.map { .init(symbol: $0.symbol, quantity: $0.quantity, price: $0.price, value: $0.value, weight: $0.weight, target: $0.target) },
            valueHistory: detail.valueHistory,
            goals: detail.goals.map { .init(name: $0.name, status: $0.status.rawValue, progress: $0.progressPct.isFinite ? $0.progressPct / 100 : nil) },
            batches: detail.batches.map { .init(batchID: $0.batchID, status: $0.status.rawValue, strategy: $0.strategy, orders: $0.orders.count, createdAt: $0.createdAt) },
            audit: detail.audit.map { .init(at: $0.at, action: $0.action, actor: $0.actor) })
        return WebSession.page(ClientDetailPage.render(model))
    }
}
