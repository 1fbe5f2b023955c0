import Foundation
import KeelWeb
import Vapor

/// `/v1/oauth/authorize` (consent page or auto-approve redirect) and `/v1/oauth/token` (Basic auth;
/// authorization_code and refresh_token grants).
struct SandboxOAuthRoutes {
    let state: SandboxState

    func register(_ app: Application) {
        app.get("v1", "oauth", "authorize", use: authorize)
        app.post("v1", "oauth", "authorize", "consent", use: consent)
        app.post("v1", "oauth", "token", use: token)
    }

    struct AuthorizeQuery: Content {
        var client_id: String?
        var redirect_uri: String?
        var state: String?
        var response_type: String?
        var scope: String?
        /// Sandbox only: which Schwab login approves (default: the one default user).
        var user: String?
    }

    func authorize(req: Request) async throws -> Response {
        let query = try req.query.decode(AuthorizeQuery.self)
        let configuration = state.configuration
        guard query.client_id == configuration.appKey else {
            return SandboxErrors.json(.badRequest, ["error": "invalid_client", "error_description": "Unauthorized"])
        }
        guard let redirect = query.redirect_uri, redirect == configuration.callbackURL else {
            return SandboxErrors.json(.badRequest, ["error": "invalid_request",
                                                    "error_description": "redirect_uri must exactly match the registered callback"])
        }
        let user = query.user ?? SandboxState.defaultUser
        if configuration.autoApprove { return try await approve(redirect: redirect, state: query.state, user: user) }
        let stateField = query.state.map { "<input type=\"hidden\" name=\"state\" value=\"\(Markup.escape($0))\">" } ?? ""
        let page = """
        <!doctype html><html><head><meta charset="utf-8"><title>Schwab sandbox: authorize</title></head>
        <body style="font-family:sans-serif;max-width:32em;margin:3em auto">
        <h2>Charles Schwab (sandbox)</h2>
        <p>The application <b>\(Markup.escape(configuration.appKey))</b> asks to access your accounts:</p>
        <ul><li>Individual Brokerage ...678</li><li>Roth Contributory IRA ...321</li></ul>
        <form method="post" action="/v1/oauth/authorize/consent">
        <input type="hidden" name="redirect_uri" value="\(Markup.escape(redirect))">\(stateField)
        <input type="hidden" name="user" value="\(Markup.escape(user))">
        <button type="submit">Allow</button></form></body></html>
        """
        var headers = HTTPHeaders()
        headers.contentType = .html
        return Response(status: .ok, headers: headers, body: .init(string: page))
    }

    struct ConsentForm: Content {
        var redirect_uri: String
        var state: String?
        var user: String?
    }

    func consent(req: Request) async throws -> Response {
        let form = try req.content.decode(ConsentForm.self)
        guard form.redirect_uri == state.configuration.callbackURL else {
            return SandboxErrors.json(.badRequest, ["error": "invalid_request", "error_description": "redirect_uri does not match"])
        }
        return try await approve(redirect: form.redirect_uri, state: form.state, user: form.user ?? SandboxState.defaultUser)
    }

    /// Redirects to the callback with `code` (ending in `@`, percent-encoded), `session` and `state`.
    func approve(redirect: String, state clientState: String?, user: String) async throws -> Response {
        let code = await state.issueCode(redirectURI: redirect, user: user)
        var location = redirect + (redirect.contains("?") ? "&" : "?") + "code=\(Self.encode(code))&session=\(UUID().uuidString.lowercased())"
        if let clientState { location += "&state=\(Self.encode(clientState))" }
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .location, value: location)
        return Response(status: .found, headers: headers)
    }

    struct TokenForm: Content {
        var grant_type: String?
        var code: String?
        var redirect_uri: String?
        var refresh_token: String?
        var client_id: String?
    }

    func token(req: Request) async throws -> Response {
        let configuration = state.configuration
        guard let basic = req.headers.basicAuthorization, basic.username == configuration.appKey, basic.password == configuration.appSecret else {
            return SandboxErrors.json(.unauthorized, ["error": "invalid_client", "error_description": "Unauthorized"])
        }
        guard let form = try? req.content.decode(TokenForm.self) else {
            return SandboxErrors.json(.badRequest, ["error": "invalid_request", "error_description": "form body expected"])
        }
        do {
            let issued: (access: String, refresh: String)
            switch form.grant_type {
            case "authorization_code":
                guard let code = form.code else {
                    return SandboxErrors.json(.badRequest, ["error": "invalid_request", "error_description": "code is required"])
                }
                issued = try await state.exchange(code: code, redirectURI: form.redirect_uri)
            case "refresh_token":
                guard let refresh = form.refresh_token else {
                    return SandboxErrors.json(.badRequest, ["error": "invalid_request", "error_description": "refresh_token is required"])
                }
                issued = try await state.refresh(refresh)
            default:
                return SandboxErrors.json(.badRequest, ["error": "unsupported_grant_type", "error_description": "grant_type must be authorization_code or refresh_token"])
            }
            return SandboxErrors.json(.ok, ["expires_in": Int(configuration.accessTokenLifetime), "token_type": "Bearer", "scope": "api",
                                            "refresh_token": issued.refresh, "access_token": issued.access,
                                            "id_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJzYW5kYm94In0."])
        } catch SandboxState.GrantError.invalidGrant(let reason) {
            return SandboxErrors.json(.badRequest, ["error": "invalid_request", "error_description": reason])
        } catch SandboxState.GrantError.refreshRejected {
            let digest = UUID().uuidString.replacingOccurrences(of: "-", with: "")
            return SandboxErrors.json(.badRequest, [
                "error": "unsupported_token_type",
                "error_description": "400 Bad Request: \"{\"error_description\":\"Exception while authenticating refresh token [tokenDigest=\(digest)]\",\"error\":\"refresh_token_authentication_error\"}\"",
            ])
        }
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }
}
