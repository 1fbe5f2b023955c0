import Foundation
import KeelCore
import KeelServices
import KeelWeb
import Vapor

/// The advisor's workspace (server-rendered pages under /app): sign-in and sign-out, and the pages, each a
/// model built from the services and rendered by KeelWeb.
struct WorkspaceController: RouteCollection {
    let auth: AuthService

    struct SignInForm: Content {
        var userId: String?
        var password: String?
        var csrf: String?
        var next: String?

        // Forms are not decoded with the JSON API's snake_case strategy: the keys are spelled out.
        enum CodingKeys: String, CodingKey { case userId = "user_id", password, csrf, next }
    }

    func boot(routes: any RoutesBuilder) throws {
        let app = routes.grouped("app")
        app.get("sign-in", use: signInPage).openAPI("The workspace's sign-in page", response: .html)
        app.post("sign-in", use: signIn)
            .openAPI("Sign in to the workspace (form post): a redirect with the session cookie, or the form again with the error",
                     response: .html, redirect: .seeOther)
        let pages = app.grouped(WebSessionMiddleware(auth: auth))
        pages.get(use: overview).openAPI("The workspace overview (without a session: a redirect to sign-in)", response: .html, redirect: .seeOther)
        pages.get("approvals", use: approvals).openAPI("The approval queue: waiting batches with orders, costs, checks and lineage (staff)", response: .html)
        pages.post("approvals", ":batch_id", "approve", use: approve)
            .openAPI("Approve a batch from the queue (form post): back to the queue", status: .seeOther, response: .redirect)
        pages.post("approvals", ":batch_id", "reject", use: reject)
            .openAPI("Reject a batch with a reason (form post): back to the queue", status: .seeOther, response: .redirect)
        pages.post("sign-out", use: signOut).openAPI("Sign out of the workspace (form post): a redirect to sign-in", status: .seeOther, response: .redirect)
    }

    func signInPage(req: Request) async throws -> Response {
        let next = WebSession.safeNext(try? req.query.get(String.self, at: "next"))
        let expired = (try? req.query.get(String.self, at: "expired")) != nil
        return signInResponse(req, SignInModel(error: expired ? "Your session ended or the form was stale: sign in again." : nil, next: next,
                                               csrfToken: ""))
    }

    /// Renders the form with a fresh pre-session CSRF cookie and the same value in the form.
    func signInResponse(_ req: Request, _ model: SignInModel) -> Response {
        var model = model
        let token = [UInt8].random(count: 24).map { String(format: "%02x", $0) }.joined()
        model.csrfToken = token
        let response = WebSession.page(SignInPage.render(model))
        response.cookies[WebSession.preSessionCookie] = WebSession.cookie(token, maxAge: 3_600, keys: req.webSessionKeys)
        return response
    }

    func signIn(req: Request) async throws -> Response {
        let form = (try? req.content.decode(SignInForm.self)) ?? SignInForm()
        let next = WebSession.safeNext(form.next)
        let userID = String((form.userId ?? "").prefix(100))
        guard let expected = req.cookies[WebSession.preSessionCookie]?.string, let sent = form.csrf, WebSession.same(sent, expected) else {
            return signInResponse(req, SignInModel(userID: userID, error: "The form was stale: please sign in again.", next: next, csrfToken: ""))
        }
        do {
            let issued = try await auth.login(userID: userID, password: form.password ?? "", address: req.remoteAddress?.ipAddress)
            let response = req.redirect(to: next, redirectType: .normal)
            response.cookies[WebSession.sessionCookie] = WebSession.cookie(issued.token, maxAge: max(60, Int(issued.expiresAt.timeIntervalSinceNow)),
                                                                           keys: req.webSessionKeys)
            response.cookies[WebSession.preSessionCookie] = WebSession.cookie("", maxAge: 0, keys: req.webSessionKeys)
            return response
        } catch let error as ServiceError {
            // The form again, with what was typed and why it failed (a page, not an API error).
            return signInResponse(req, SignInModel(userID: userID, error: error.message, next: next, csrfToken: ""))
        }
    }

    func signOut(req: Request) async throws -> Response {
        if let token = req.storage[WebTokenKey.self] { try await auth.logout(token: token) }
        let response = req.redirect(to: "/app/sign-in", redirectType: .normal)
        response.cookies[WebSession.sessionCookie] = WebSession.cookie("", maxAge: 0, keys: req.webSessionKeys)
        return response
    }

    func overview(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            // A client's home is its own page.
            if let own = principal.clientID { return req.redirect(to: "/app/clients/\(own)", redirectType: .normal) }
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Overview", message: "The overview of the whole book is for advisors."))
        }
        let data = try await req.keel.cycles.overview(by: principal)
        let model = OverviewModel(
            viewer: viewer, assetsUnderManagement: data.assetsUnderManagement, clients: data.totals.activeClients, accounts: data.totals.activeAccounts,
            batchesAwaitingApproval: data.totals.batchesAwaitingApproval, openAlerts: data.totals.openAlerts, regime: data.regime?.regime,
            regimeConfidence: data.regime?.confidence, regimeDay: data.regime?.day,
            lastCycle: data.lastCycle.map { .init(cycleID: $0.cycleID, cycleDate: $0.cycleDate, status: $0.status.rawValue,
                                                  accountsDone: $0.accountsDone, accountsTotal: $0.accountsTotal) },
            nextCycle: data.nextCycle,
            health: .init(database: "ok", dataAgeSeconds: data.dataAgeSeconds, brokers: data.brokers, queuedJobs: data.queuedJobs, runningJobs: data.runningJobs),
            killSwitchEngaged: data.switches.killSwitchEngaged, tradingPaused: data.switches.tradingPaused,
            benchmark: data.benchmark, benchmarkSymbol: data.benchmarkSymbol)
        return WebSession.page(OverviewPage.render(model))
    }

    /// What an action's outcome code reads as on the queue (fixed texts: a link cannot make the page say anything).
    static let actionMessages: [String: String] = [
        "approved": "The batch was approved; it executes when you (or the cycle) run it.",
        "rejected": "The batch was rejected.",
        "approval_expired": "That batch's approval window ended; it must be planned again.",
        "content_changed": "That batch changed since it was planned; plan it again.",
        "batch_state_changed": "That batch changed while you acted; the queue shows it as it is now.",
        "invalid_batch_state": "That batch no longer waits for approval.",
        "not_found": "That batch no longer exists.",
    ]

    func approvals(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Approvals", message: "The approval queue is for advisors."))
        }
        let keel = req.keel
        // Ten batches a page: each is shown with its checks and a dry-run preview, read against today's books.
        let pageSize = 10
        let requested = min(max((try? req.query.get(Int.self, at: "page")) ?? 1, 1), 100_000)
        let (waiting, total) = try await keel.approvals.queue(page: requested, pageSize: pageSize, by: principal)
        let costs = keel.context.settings.paperCosts
        let previews = try await keel.execution.previews(waiting, by: principal)
        // The regime of each batch's planning day, from one classification of the benchmark.
        let benchmark = keel.context.settings.cycle.regimeSymbol
        let earliest = waiting.map(\.createdAt).min()
        var regimeDays: [RegimeDay] = []
        if let earliest { regimeDays = (try? await keel.regimes.history(symbol: benchmark, from: earliest.addingTimeInterval(-10 * 86_400), to: nil, by: principal)) ?? [] }
        func regime(at date: Date) -> String? {
            regimeDays.last { $0.date <= date }.map { "\($0.regime.rawValue) (\(benchmark), confidence \(String(format: "%.2f", $0.confidence)))" }
        }
        let names = Dictionary(previews.values.map { ($0.client.clientID, "\($0.client.firstName) \($0.client.lastName)") }, uniquingKeysWith: { first, _ in first })
        var batches: [ApprovalQueueModel.Batch] = []
        for batch in waiting {
            let notes = PlanNotes.decode(batch.planNotes)
            guard let preview = previews[batch.batchID] else { continue }
            let checks = preview.violations.map(\.message)
            var estimated = Decimal(0)
            for order in batch.orders {
                let slip = (order.estimatedNotional * costs.slippageBasisPoints / 10_000).roundedToCents
                estimated += slip + costs.fees(side: order.side, notional: order.estimatedNotional, quantity: order.quantity,
                                               assetClass: AssetClass.inferred(fromSymbol: order.symbol))
            }
            batches.append(.init(
                batchID: batch.batchID, client: names[batch.clientID] ?? "client \(batch.clientID)", accountHash: batch.accountHash,
                createdAt: batch.createdAt, expiresAt: batch.approvalExpiresAt, strategy: batch.strategy, modelVersion: batch.modelVersion,
                reason: notes?.cycle?.reason ?? notes?.goal?.strategyReason, goalFactor: notes?.goal?.factor ?? notes?.cycle?.riskFactor,
                cycleID: batch.cycleID, regime: regime(at: batch.createdAt), portfolioValue: Self.double(batch.portfolioValue), estimatedCosts: Self.double(estimated), checks: checks,
                orders: batch.orders.map { .init(symbol: $0.symbol, side: $0.side.rawValue, quantity: Self.double($0.quantity),
                                                 price: Self.double($0.referencePrice), notional: Self.double($0.estimatedNotional),
                                                 currentWeight: $0.currentWeight, targetWeight: $0.targetWeight) },
                preview: .init(fills: preview.trades.map { .init(symbol: $0.symbol, side: $0.side.rawValue, quantity: Self.double($0.quantity),
                                                                 price: Self.double($0.price ?? 0), notional: Self.double($0.notional ?? 0),
                                                                 fees: Self.double($0.commission)) },
                               cashBefore: Self.double(preview.cashBefore), cashAfter: Self.double(preview.cashAfter))))
        }
        let done = (try? req.query.get(String.self, at: "done")).flatMap { Self.actionMessages[$0] }
        let failed = (try? req.query.get(String.self, at: "error")).map { Self.actionMessages[$0] ?? "The action failed; the queue shows the batch as it is now." }
        let model = ApprovalQueueModel(viewer: viewer, batches: batches, notice: done, error: failed,
                                       rejectErrorBatch: try? req.query.get(String.self, at: "reject_error"),
                                       page: requested, pageSize: pageSize, total: total)
        return WebSession.page(ApprovalQueuePage.render(model))
    }

    func approve(req: Request) async throws -> Response {
        let principal = try req.principal
        let batchID = try req.parameters.require("batch_id")
        do {
            _ = try await req.keel.approvals.approve(batchID, by: principal)
            return req.redirect(to: "/app/approvals?done=approved", redirectType: .normal)
        } catch let error as ServiceError {
            return req.redirect(to: "/app/approvals?error=\(Self.actionMessages[error.code] == nil ? "failed" : error.code)", redirectType: .normal)
        }
    }

    func reject(req: Request) async throws -> Response {
        let principal = try req.principal
        let batchID = try req.parameters.require("batch_id")
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        do {
            _ = try await req.keel.approvals.reject(batchID, reason: reason, by: principal)
            return req.redirect(to: "/app/approvals?done=rejected", redirectType: .normal)
        } catch let error as ServiceError where error.field == "reason" {
            let safe = batchID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return req.redirect(to: "/app/approvals?reject_error=\(safe)#batch-\(safe)", redirectType: .normal)
        } catch let error as ServiceError {
            return req.redirect(to: "/app/approvals?error=\(Self.actionMessages[error.code] == nil ? "failed" : error.code)", redirectType: .normal)
        }
    }

    static func double(_ value: Decimal) -> Double { NSDecimalNumber(decimal: value).doubleValue }
}
