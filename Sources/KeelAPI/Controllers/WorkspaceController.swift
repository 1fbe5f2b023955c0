import Foundation
import KeelCore
import KeelServices
import KeelWeb
import KeelWorkspace
import Vapor

/// The advisor's workspace (server-rendered pages under /app): sign-in and sign-out, and the pages, each a
/// model built from the services and rendered by KeelWeb.
struct WorkspaceController: RouteCollection {
    let auth: AuthService
    let approvalsService: ApprovalService
    let overviewQuery: OverviewQuery
    let approvalQueue: ApprovalQueueQuery

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
        app.on(.GET, .signIn, use: signInPage).openAPI("The workspace's sign-in page", response: .html)
        app.on(.POST, .signIn, use: signIn)
            .openAPI("Sign in to the workspace (form post): a redirect with the session cookie, or the form again with the error",
                     response: .html, redirect: .seeOther)
        let pages = app.grouped(WebSessionMiddleware(auth: auth))
        pages.on(.GET, .overview, use: overview).openAPI("The workspace overview (without a session: a redirect to sign-in)", response: .html, redirect: .seeOther)
        pages.on(.GET, .approvals, use: approvals).openAPI("The approval queue: waiting batches with orders, costs, checks and lineage (staff)", response: .html)
        pages.on(.POST, WorkspaceRoute.approve, use: approve)
            .openAPI("Approve a batch from the queue (form post): back to the queue", status: .seeOther, response: .redirect)
        pages.on(.POST, WorkspaceRoute.reject, use: reject)
            .openAPI("Reject a batch with a reason (form post): back to the queue", status: .seeOther, response: .redirect)
        pages.on(.POST, .signOut, use: signOut).openAPI("Sign out of the workspace (form post): a redirect to sign-in", status: .seeOther, response: .redirect)
    }

    func signInPage(req: Request) async throws -> Response {
        let next = WebSession.safeNext(try? req.query.get(String.self, at: "next"))
        let expired = (try? req.query.get(String.self, at: "expired")) != nil
        return signInResponse(req, SignInPage.Model(error: expired ? "Your session ended or the form was stale: sign in again." : nil, next: next,
                                               csrfToken: ""))
    }

    /// Renders the form with a fresh pre-session CSRF cookie and the same value in the form.
    func signInResponse(_ req: Request, _ model: SignInPage.Model) -> Response {
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
            return signInResponse(req, SignInPage.Model(userID: userID, error: "The form was stale: please sign in again.", next: next, csrfToken: ""))
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
            return signInResponse(req, SignInPage.Model(userID: userID, error: error.message, next: next, csrfToken: ""))
        }
    }

    func signOut(req: Request) async throws -> Response {
        if let token = req.storage[WebTokenKey.self] { try await auth.logout(token: token) }
        let response = req.redirect(to: .signIn)
        response.cookies[WebSession.sessionCookie] = WebSession.cookie("", maxAge: 0, keys: req.webSessionKeys)
        return response
    }

    func overview(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await overviewQuery.load(for: reader).response(req, viewer: reader.viewer, OverviewPage.render)
    }

    func approvals(req: Request) async throws -> Response {
        let reader = try req.pageViewer
        return try await approvalQueue.load(page: try? req.query.get(Int.self, at: "page"), done: req.queryText("done"), error: req.queryText("error"),
                                            rejectErrorBatch: req.queryText("reject_error"), for: reader)
            .response(req, viewer: reader.viewer, ApprovalQueuePage.render)
    }

    func approve(req: Request) async throws -> Response {
        let principal = try req.principal
        let batchID = try req.parameters.require("batch_id")
        do {
            _ = try await approvalsService.approve(batchID, by: principal)
            return req.redirect(to: .approvals, ["done": "approved"])
        } catch let error as ServiceError {
            return Self.failed(req, error)
        }
    }

    func reject(req: Request) async throws -> Response {
        let principal = try req.principal
        let batchID = try req.parameters.require("batch_id")
        let reason = (try? req.content.get(String.self, at: "reason")) ?? ""
        do {
            _ = try await approvalsService.reject(batchID, reason: reason, by: principal)
            return req.redirect(to: .approvals, ["done": "rejected"])
        } catch let error as ServiceError where error.field == "reason" {
            return req.redirect(to: .approvals, ["reject_error": batchID], fragment: "batch-\(batchID)")
        } catch let error as ServiceError {
            return Self.failed(req, error)
        }
    }

    /// Back to the queue with the error's own text when the page has one.
    static func failed(_ req: Request, _ error: ServiceError) -> Response {
        req.redirect(to: .approvals, ["error": ApprovalQueuePage.messages[error.code] == nil ? "failed" : error.code])
    }
}
