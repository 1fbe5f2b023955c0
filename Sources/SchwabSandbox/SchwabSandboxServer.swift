import Foundation
import KeelCore
import Vapor

/// A Schwab-compatible HTTP server: OAuth, Trader API, Market Data, with injectable faults. It shares no
/// code with Keel's Schwab client, so the client is tested against an independent counterpart.
public enum SchwabSandboxServer {
    /// Adds the sandbox's routes to `app` and returns the handle tests use to steer it.
    @discardableResult
    public static func configure(_ app: Application, _ configuration: SandboxConfiguration) -> SandboxControl {
        let state = SandboxState(configuration: configuration)
        app.middleware = Middlewares()
        app.middleware.use(SandboxFaultMiddleware(state: state))
        SandboxOAuthRoutes(state: state).register(app)
        SandboxTraderRoutes(state: state).register(app)
        SandboxMarketDataRoutes(state: state).register(app)
        SandboxControlRoutes(state: state).register(app)
        return SandboxControl(state: state)
    }
}

/// Steers a running sandbox from a test or a script.
public struct SandboxControl: Sendable {
    let state: SandboxState

    public func setFaults(_ rules: [ChaosRule]) async { await state.setChaos(rules) }
    public func addFault(_ rule: ChaosRule) async { await state.addChaos(rule) }
    public func counters() async -> SandboxCounters { await state.counters }

    /// Simulates the price history now, so the first request does not pay for it.
    public func warmUp() {
        _ = state.prices.series(through: state.configuration.clock.now())
    }

    /// Accounts of every sandbox login: owner, number, hash, cash and positions.
    public func accounts() async -> [SandboxAccountSummary] {
        await state.accountsSnapshot().map {
            SandboxAccountSummary(user: $0.user, number: $0.number, hash: $0.hash, cash: $0.cash, positions: $0.positions.mapValues(\.quantity))
        }
    }
}

public struct SandboxAccountSummary: Sendable, Hashable {
    public var user: String
    public var number: String
    public var hash: String
    public var cash: Double
    public var positions: [String: Double]
}

/// The two error dialects: Trader API `{"message","errors"}`, Market Data `{"errors":[{id,status,title,detail}]}`.
enum SandboxErrors {
    static func response(_ status: HTTPResponseStatus, path: String, message: String) -> Response {
        let body: [String: Any]
        if path.hasPrefix("/marketdata") {
            body = ["errors": [["id": UUID().uuidString, "status": Int(status.code), "title": status.reasonPhrase, "detail": message]]]
        } else {
            body = ["message": message, "errors": [message]]
        }
        return json(status, body)
    }

    static func json(_ status: HTTPResponseStatus, _ object: Any, headers extra: [(String, String)] = []) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.add(name: "Schwab-Client-CorrelId", value: UUID().uuidString)
        for (name, value) in extra { headers.add(name: name, value: value) }
        return Response(status: status, headers: headers, body: .init(data: SandboxRendering.json(object)))
    }

    static func empty(_ status: HTTPResponseStatus, headers extra: [(String, String)] = []) -> Response {
        var headers = HTTPHeaders()
        headers.add(name: "Schwab-Client-CorrelId", value: UUID().uuidString)
        for (name, value) in extra { headers.add(name: name, value: value) }
        return Response(status: status, headers: headers)
    }
}

/// Injects the configured faults before a request reaches its route, and checks bearer tokens on the APIs.
struct SandboxFaultMiddleware: AsyncMiddleware {
    let state: SandboxState

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = request.url.path
        let isAPI = path.hasPrefix("/trader/") || path.hasPrefix("/marketdata/") || path == "/v1/oauth/token"
        guard isAPI else { return try await next.respond(to: request) }
        await state.countRequest()
        let kinds: Set<ChaosRule.Fault> = [.unauthorized, .rateLimited, .serverError, .unavailable, .timeout, .plainText404, .htmlAccessDenied]
        if let rule = await state.takeFault(method: request.method.rawValue, path: path, kinds: kinds) {
            switch rule.fault {
            case .unauthorized:
                return SandboxErrors.response(.unauthorized, path: path, message: "Client not authorized")
            case .rateLimited:
                return SandboxErrors.response(.tooManyRequests, path: path, message: "Too many requests")
                    .with(header: "Retry-After", value: rule.retryAfterSeconds.map(String.init))
            case .serverError:
                return SandboxErrors.response(.internalServerError, path: path, message: "Internal error")
            case .unavailable:
                return SandboxErrors.response(.serviceUnavailable, path: path, message: "Service unavailable")
            case .timeout:
                try await Task.sleep(nanoseconds: UInt64((rule.delaySeconds ?? 30) * 1_000_000_000))
            case .plainText404:
                var headers = HTTPHeaders()
                headers.contentType = .plainText
                return Response(status: .notFound, headers: headers,
                                body: .init(string: "404 Not Found: Requested route ('traderapi-accounts.apigx-origin.schwab.com') does not exist."))
            case .htmlAccessDenied:
                var headers = HTTPHeaders()
                headers.contentType = .html
                return Response(status: .forbidden, headers: headers,
                                body: .init(string: "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\nYou don't have permission to access this server.</BODY></HTML>"))
            default:
                break
            }
        }
        if path.hasPrefix("/trader/") || path.hasPrefix("/marketdata/") {
            guard let token = request.headers.bearerAuthorization?.token, await state.isValid(accessToken: token) else {
                if path.hasPrefix("/marketdata/") {
                    return SandboxErrors.json(.unauthorized, ["errors": [["id": UUID().uuidString, "status": 401, "title": "Unauthorized"]]])
                }
                return SandboxErrors.json(.unauthorized, ["message": "Client not authorized", "errors": [
                    "either authorization token is invalid or there are no accounts the caller is allowed to view or use for trading that are registered with the provided third party application",
                ]])
            }
        }
        return try await next.respond(to: request)
    }
}

extension Response {
    func with(header name: String, value: String?) -> Response {
        if let value { headers.replaceOrAdd(name: name, value: value) }
        return self
    }
}
