import Foundation
import KeelServices
import KeelWeb
import Vapor

/// Schwab linking: the authorize URL (state bound to the client), the public OAuth callback, the link's
/// status and a resync. Registered twice: the callback is public (Schwab's redirect carries no bearer token;
/// the single-use state is what authenticates it), the rest needs a login.
struct SchwabController: RouteCollection {
    let publicRoutes: Bool
    let schwab: SchwabLinkService?

    func boot(routes: any RoutesBuilder) throws {
        if publicRoutes {
            routes.get("schwab", "callback", use: callback).openAPI("Schwab's OAuth2 redirect: completes a client's link (HTML for a browser)", query: [.string("code", "the authorization code", required: true), .string("state", "the state issued with the authorize URL", required: true)], response: .json(SchwabStatusResponse.self))
            return
        }
        routes.get("schwab", "authorize", use: authorize).openAPI("The Schwab login URL that links a client", query: [.integer("client_id", "the client to link", required: true), .boolean("redirect", "answer with a redirect to it instead")], response: .json(SchwabAuthorizeResponse.self), redirect: .seeOther)
        routes.get("schwab", "status", ":client_id", use: status).openAPI("A client's Schwab link: token state and accounts")
        routes.post("schwab", "sync", ":client_id", use: sync).openAPI("Read a client's Schwab accounts and positions now")
    }

    func service(_ req: Request) throws -> SchwabLinkService {
        guard let schwab = schwab else {
            throw ServiceError(.unavailable, code: "schwab_not_configured",
                               message: "Schwab is not configured on this server: set KEEL_SCHWAB_APP_KEY, KEEL_SCHWAB_APP_SECRET and KEEL_PUBLIC_URL")
        }
        return schwab
    }

    func authorize(req: Request) async throws -> Response {
        guard let clientID = try req.query.get(Int?.self, at: "client_id") else { throw ServiceError.invalid("client_id", "client_id is required") }
        // Who may link a client is decided before whether Schwab is configured: a stranger learns nothing.
        try req.principal.ensureAccess(toClient: clientID)
        let (url, expires) = try await service(req).authorizationURL(clientID: clientID, by: req.principal)
        if try req.query.get(Bool?.self, at: "redirect") == true { return req.redirect(to: url.absoluteString) }
        return try await SchwabAuthorizeResponse(authorizeUrl: url.absoluteString, expiresAt: expires).encodeResponse(for: req)
    }

    func callback(req: Request) async throws -> Response {
        let status = try await service(req).completeLogin(code: try req.query.get(String?.self, at: "code"),
                                                           state: try req.query.get(String?.self, at: "state"))
        if req.headers.accept.contains(where: { $0.mediaType == .html }) {
            var headers = HTTPHeaders()
            headers.contentType = .html
            let html = "<!doctype html><html><body style=\"font-family:sans-serif\"><h2>Schwab linked</h2><p>\(status.accounts.count) account(s) linked to client \(status.clientID).</p><p><a href=\"\(WorkspaceRoute.client(status.clientID).path)\">Back to the client's page</a></p></body></html>"
            return Response(status: .ok, headers: headers, body: .init(string: html))
        }
        return try await SchwabStatusResponse(status).encodeResponse(for: req)
    }

    func status(req: Request) async throws -> SchwabStatusResponse {
        try req.principal.ensureAccess(toClient: try req.intParameter("client_id"))
        return SchwabStatusResponse(try await service(req).status(clientID: req.intParameter("client_id"), by: req.principal))
    }

    func sync(req: Request) async throws -> SchwabStatusResponse {
        try req.principal.ensureAccess(toClient: try req.intParameter("client_id"))
        return SchwabStatusResponse(try await service(req).syncAccounts(clientID: req.intParameter("client_id"), by: req.principal))
    }
}
