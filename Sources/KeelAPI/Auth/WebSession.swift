import Crypto
import Foundation
import KeelServices
import KeelWeb
import Vapor

/// What the workspace's cookies and form tokens are made with: the server's CSRF key and whether cookies are
/// `Secure` (the server is reached over https: `KEEL_PUBLIC_URL` starts with https://).
struct WebSessionKeys: Sendable {
    /// The key's bytes (Crypto's `SymmetricKey` is not `Sendable`).
    private let csrfKeyBytes: [UInt8]
    let secureCookies: Bool

    var csrfKey: SymmetricKey { SymmetricKey(data: csrfKeyBytes) }

    /// The CSRF key is derived (HKDF) from the server's secret key, so every process of one installation makes the
    /// same tokens and a restart keeps open forms valid; without a secret key, a random one per process.
    init(secretKey: String?, publicURL: String?) {
        if let secretKey, !secretKey.isEmpty {
            let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: Data(secretKey.utf8)), info: Data("keel-csrf-v1".utf8), outputByteCount: 32)
            csrfKeyBytes = key.withUnsafeBytes { Array($0) }
        } else {
            csrfKeyBytes = [UInt8].random(count: 32)
        }
        secureCookies = publicURL?.lowercased().hasPrefix("https://") == true
    }
}

struct WebSessionKeysKey: StorageKey {
    typealias Value = WebSessionKeys
}

extension Request {
    var webSessionKeys: WebSessionKeys {
        guard let keys = application.storage[WebSessionKeysKey.self] else { fatalError("configureKeel(_:_:) has not run on this application") }
        return keys
    }
}

/// The workspace's sign-in, beside the bearer-token API: the same tokens, carried in an HttpOnly, SameSite=Strict
/// cookie (also `Secure` when the server is public over https). Every form carries a CSRF token, an HMAC-SHA256
/// of the session token under the server's key: a page of another site can neither read the cookie nor compute
/// the token, and even a leaked session token does not give its CSRF token away. Before sign-in, a random
/// `keel_csrf` cookie is checked against the form's field (double submit).
enum WebSession {
    static let sessionCookie = "keel_session"
    static let preSessionCookie = "keel_csrf"

    static func csrfToken(forSession token: String, keys: WebSessionKeys) -> String {
        HMAC<SHA256>.authenticationCode(for: Data("keel-csrf:\(token)".utf8), using: keys.csrfKey).map { String(format: "%02x", $0) }.joined()
    }

    static func cookie(_ value: String, maxAge: Int, keys: WebSessionKeys) -> HTTPCookies.Value {
        HTTPCookies.Value(string: value, maxAge: maxAge, path: "/", isSecure: keys.secureCookies, isHTTPOnly: true, sameSite: .strict)
    }

    /// Constant-time comparison, so the check leaks nothing about the expected token.
    static func same(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The signed-in principal and how the page chrome shows it, with the CSRF token its forms carry.
    static func viewer(_ req: Request) throws -> (Principal, Viewer) {
        let principal = try req.principal
        return (principal, Viewer(userID: principal.userID, role: principal.role.rawValue,
                                  csrfToken: csrfToken(forSession: req.storage[WebTokenKey.self] ?? "", keys: req.webSessionKeys)))
    }

    /// The workspace's pages load nothing and run no script: styles are inline, charts inline SVG, forms post here
    /// (`formRedirect`: the one other origin a form's answer may send the browser to, Schwab's sign-in).
    static func contentSecurityPolicy(formRedirect: String? = nil) -> String {
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'\(formRedirect.map { " " + $0 } ?? ""); frame-ancestors 'none'; base-uri 'none'"
    }

    /// A rendered page as the response.
    static func page(_ body: String, status: HTTPStatus = .ok, formRedirect: String? = nil) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy(formRedirect: formRedirect))
        return Response(status: status, headers: headers, body: .init(string: body))
    }

    /// A path inside the workspace to return to after sign-in; anything else (another site, a scheme) goes home.
    static func safeNext(_ raw: String?) -> String {
        guard let raw, raw.hasPrefix("/app"), !raw.hasPrefix("//"), !raw.contains("\\"), raw.count <= 500,
              raw.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f }) else { return WorkspaceRoute.overview.path }
        return raw
    }
}

/// Requires a signed-in session on workspace pages (a redirect to sign-in keeping the page asked for), and a
/// matching CSRF token on every form post (a stale one also goes to sign-in, keeping the target).
struct WebSessionMiddleware: AsyncMiddleware {
    let auth: AuthService

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let target = WebSession.safeNext(request.method == .GET ? request.url.string : request.headers.first(name: .referer).flatMap { URL(string: $0)?.path })
        guard let token = request.cookies[WebSession.sessionCookie]?.string, let principal = try await auth.authenticate(token: token) else {
            return request.redirect(to: .signIn, ["next": target])
        }
        if request.method == .POST {
            let sent = (try? request.content.get(String.self, at: "csrf")) ?? ""
            guard WebSession.same(sent, WebSession.csrfToken(forSession: token, keys: request.webSessionKeys)) else {
                return request.redirect(to: .signIn, ["expired": "1", "next": target])
            }
        }
        request.storage[PrincipalKey.self] = principal
        request.storage[WebTokenKey.self] = token
        return try await next.respond(to: request)
    }
}

struct WebTokenKey: StorageKey {
    typealias Value = String
}
