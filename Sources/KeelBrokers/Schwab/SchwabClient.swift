import AsyncHTTPClient
import Foundation
import KeelCore
import NIOCore
import NIOHTTP1

/// Charles Schwab's OAuth, Trader and Market Data APIs over HTTP. Stateless apart from the per-account order
/// throttle: tokens are passed in by the caller (the token manager owns them).
public struct SchwabClient: Sendable {
    public let configuration: SchwabConfiguration
    let http: HTTPClient
    let clock: any KeelClock
    let throttle: SchwabOrderThrottle

    public init(configuration: SchwabConfiguration, http: HTTPClient, clock: any KeelClock = SystemClock()) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.throttle = SchwabOrderThrottle(perMinute: configuration.ordersPerMinute)
    }

    // MARK: OAuth

    /// Where to send the user's browser; `state` comes back on the callback.
    public func authorizeURL(state: String) -> URL {
        // Every value fully percent-encoded (the callback's ':' and '/' too), as Schwab's own clients send it.
        let query = Self.query([("response_type", "code"), ("client_id", configuration.appKey), ("redirect_uri", configuration.callbackURL),
                                ("state", state)])
        return URL(string: configuration.oauthBase + "/authorize?" + query)!
    }

    public func exchangeCode(_ code: String) async throws -> SchwabTokenResponse {
        try await tokenRequest(["grant_type": "authorization_code", "code": code, "redirect_uri": configuration.callbackURL])
    }

    public func refresh(refreshToken: String) async throws -> SchwabTokenResponse {
        try await tokenRequest(["grant_type": "refresh_token", "refresh_token": refreshToken])
    }

    private func tokenRequest(_ form: [String: String]) async throws -> SchwabTokenResponse {
        let credentials = Data("\(configuration.appKey):\(configuration.appSecret)".utf8).base64EncodedString()
        let body = form.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.formEncode($0.value))" }.joined(separator: "&")
        let response = try await send(.POST, configuration.oauthBase + "/token", api: .oauth, isWrite: false,
                                      headers: [("Authorization", "Basic \(credentials)"), ("Content-Type", "application/x-www-form-urlencoded")],
                                      body: Data(body.utf8))
        return try decode(SchwabTokenResponse.self, response)
    }

    // MARK: Trader API

    public func accountNumbers(accessToken: String) async throws -> [SchwabAccountNumber] {
        try decode([SchwabAccountNumber].self, try await get(configuration.traderBase + "/accounts/accountNumbers", accessToken, .trader))
    }

    public func accounts(accessToken: String, positions: Bool) async throws -> [SchwabAccount] {
        let url = configuration.traderBase + "/accounts" + (positions ? "?fields=positions" : "")
        return try decode([SchwabAccount].self, try await get(url, accessToken, .trader))
    }

    public func account(accessToken: String, hash: String, positions: Bool) async throws -> SchwabAccount {
        let url = configuration.traderBase + "/accounts/\(Self.path(hash))" + (positions ? "?fields=positions" : "")
        return try decode(SchwabAccount.self, try await get(url, accessToken, .trader))
    }

    public func orders(accessToken: String, hash: String, from: Date, to: Date, status: String? = nil, maxResults: Int? = nil) async throws -> [SchwabOrder] {
        var query = [("fromEnteredTime", SchwabJSON.format(from, milliseconds: true)), ("toEnteredTime", SchwabJSON.format(to, milliseconds: true))]
        if let status { query.append(("status", status)) }
        if let maxResults { query.append(("maxResults", String(maxResults))) }
        let url = configuration.traderBase + "/accounts/\(Self.path(hash))/orders?" + Self.query(query)
        return try decode([SchwabOrder].self, try await get(url, accessToken, .trader))
    }

    public func order(accessToken: String, hash: String, orderID: Int64) async throws -> SchwabOrder {
        try decode(SchwabOrder.self, try await get(configuration.traderBase + "/accounts/\(Self.path(hash))/orders/\(orderID)", accessToken, .trader))
    }

    /// Places an order; returns Schwab's order id from the `Location` header of the 201.
    public func placeOrder(accessToken: String, hash: String, order: SchwabOrderRequest) async throws -> Int64 {
        try await waitForOrderSlot(hash)
        let response = try await send(.POST, configuration.traderBase + "/accounts/\(Self.path(hash))/orders", api: .trader, isWrite: true,
                                      headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")],
                                      body: try SchwabJSON.encoder.encode(order))
        return try Self.orderID(fromLocation: response.headers.first(name: "Location"), status: response.status.code)
    }

    /// Replaces an order; returns the new order's id (the old one becomes REPLACED).
    public func replaceOrder(accessToken: String, hash: String, orderID: Int64, with order: SchwabOrderRequest) async throws -> Int64 {
        try await waitForOrderSlot(hash)
        let response = try await send(.PUT, configuration.traderBase + "/accounts/\(Self.path(hash))/orders/\(orderID)", api: .trader, isWrite: true,
                                      headers: [("Authorization", "Bearer \(accessToken)"), ("Content-Type", "application/json")],
                                      body: try SchwabJSON.encoder.encode(order))
        return try Self.orderID(fromLocation: response.headers.first(name: "Location"), status: response.status.code)
    }

    public func cancelOrder(accessToken: String, hash: String, orderID: Int64) async throws {
        try await waitForOrderSlot(hash)
        _ = try await send(.DELETE, configuration.traderBase + "/accounts/\(Self.path(hash))/orders/\(orderID)", api: .trader, isWrite: true,
                           headers: [("Authorization", "Bearer \(accessToken)")], body: nil)
    }

    public func transactions(accessToken: String, hash: String, start: Date, end: Date, types: String = "TRADE") async throws -> [SchwabTransaction] {
        let query = Self.query([("startDate", SchwabJSON.format(start, milliseconds: true)), ("endDate", SchwabJSON.format(end, milliseconds: true)), ("types", types)])
        return try decode([SchwabTransaction].self, try await get(configuration.traderBase + "/accounts/\(Self.path(hash))/transactions?" + query, accessToken, .trader))
    }

    public func userPreference(accessToken: String) async throws -> SchwabUserPreference {
        try decode(SchwabUserPreference.self, try await get(configuration.traderBase + "/userPreference", accessToken, .trader))
    }

    // MARK: Market Data

    public func quotes(accessToken: String, symbols: [String]) async throws -> SchwabQuotes {
        let url = configuration.marketDataBase + "/quotes?" + Self.query([("symbols", symbols.joined(separator: ",")), ("fields", "quote,reference")])
        return try decode(SchwabQuotes.self, try await get(url, accessToken, .marketData))
    }

    public func priceHistory(accessToken: String, symbol: String, periodType: String, period: Int?, frequencyType: String, frequency: Int,
                             startDate: Date? = nil, endDate: Date? = nil) async throws -> SchwabCandleList {
        var query = [("symbol", symbol), ("periodType", periodType), ("frequencyType", frequencyType), ("frequency", String(frequency))]
        if let period { query.append(("period", String(period))) }
        if let startDate { query.append(("startDate", String(Int64(startDate.timeIntervalSince1970 * 1000)))) }
        if let endDate { query.append(("endDate", String(Int64(endDate.timeIntervalSince1970 * 1000)))) }
        return try decode(SchwabCandleList.self, try await get(configuration.marketDataBase + "/pricehistory?" + Self.query(query), accessToken, .marketData))
    }

    public func marketHours(accessToken: String, markets: [String], date: String? = nil) async throws -> [String: [String: SchwabMarketHours]] {
        var query = [("markets", markets.joined(separator: ","))]
        if let date { query.append(("date", date)) }
        return try decode([String: [String: SchwabMarketHours]].self, try await get(configuration.marketDataBase + "/markets?" + Self.query(query), accessToken, .marketData))
    }

    public func instruments(accessToken: String, symbols: [String], projection: String = "symbol-search") async throws -> SchwabInstrumentsResponse {
        let url = configuration.marketDataBase + "/instruments?" + Self.query([("symbol", symbols.joined(separator: ",")), ("projection", projection)])
        return try decode(SchwabInstrumentsResponse.self, try await get(url, accessToken, .marketData))
    }

    // MARK: Transport

    enum API { case oauth, trader, marketData }

    struct Response: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: Data
    }

    private func get(_ url: String, _ accessToken: String, _ api: API) async throws -> Response {
        try await send(.GET, url, api: api, isWrite: false, headers: [("Authorization", "Bearer \(accessToken)"), ("Accept", "application/json")], body: nil)
    }

    private func waitForOrderSlot(_ hash: String) async throws {
        let wait = await throttle.reserve(account: hash, now: clock.now())
        if wait > 0 { try await clock.sleep(for: wait) }
    }

    /// Sends a request; 429 is retried after Retry-After (Schwab did not act on it); reads (GET) are also
    /// retried once on 5xx or a transport failure. A write that fails that way reports an unknown outcome.
    func send(_ method: HTTPMethod, _ url: String, api: API, isWrite: Bool, headers: [(String, String)], body: Data?) async throws -> Response {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            request.headers.add(name: "Schwab-Client-CorrelId", value: UUID().uuidString)
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response: Response
            do {
                let raw = try await http.execute(request, timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
                let buffer = try await raw.body.collect(upTo: 32 * 1024 * 1024)
                response = Response(status: raw.status, headers: raw.headers, body: Data(buffer.readableBytesView))
            } catch let error as SchwabError {
                throw error
            } catch {
                if !isWrite, method == .GET, attempt == 1 { continue }
                throw SchwabError.transport(String(describing: error))
            }
            switch response.status.code {
            case 200..<300:
                return response
            case 429:
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(TimeInterval.init)
                guard attempt <= configuration.maxRateLimitRetries else { throw SchwabError.rateLimited(retryAfter: retryAfter) }
                try await clock.sleep(for: min(retryAfter ?? Double(attempt), 30))
                continue
            case 500..<600 where !isWrite && method == .GET && attempt == 1:
                try await clock.sleep(for: 0.2)
                continue
            default:
                throw Self.error(for: response, api: api)
            }
        }
    }

    static func error(for response: Response, api: API) -> SchwabError {
        let status = Int(response.status.code)
        let text = String(decoding: response.body, as: UTF8.self)
        let decoder = JSONDecoder()
        if api == .oauth, let body = try? decoder.decode(SchwabOAuthErrorBody.self, from: response.body) {
            let description = body.errorDescription ?? ""
            if body.error == "unsupported_token_type" || description.contains("refresh_token_authentication_error") || body.error == "invalid_grant" {
                return .refreshTokenRejected("\(body.error): \(description)")
            }
            return .oauth(error: body.error, description: description)
        }
        var message: String?
        if let body = try? decoder.decode(SchwabServiceErrorBody.self, from: response.body), body.message != nil || body.errors != nil {
            message = ([body.message].compactMap { $0 } + (body.errors ?? [])).joined(separator: "; ")
        } else if let body = try? decoder.decode(SchwabMarketDataErrorBody.self, from: response.body) {
            message = body.errors.map { [$0.title, $0.detail].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; ")
        }
        guard let message else {
            if status >= 500 { return .server(status: status, body: text) }
            if status == 401 { return .unauthorized(String(text.prefix(200))) }
            return .unexpectedBody(status: status, body: text)
        }
        switch status {
        case 400: return .badRequest(message)
        case 401: return .unauthorized(message)
        case 403: return .forbidden(message)
        case 404: return .notFound(message)
        case 500...: return .server(status: status, body: message)
        default: return .unexpectedBody(status: status, body: text)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ response: Response) throws -> T {
        do {
            return try SchwabJSON.decoder.decode(T.self, from: response.body)
        } catch {
            throw SchwabError.unexpectedBody(status: Int(response.status.code), body: String(decoding: response.body.prefix(500), as: UTF8.self))
        }
    }

    /// `…/accounts/{hash}/orders/{id}` -> id.
    static func orderID(fromLocation location: String?, status: UInt) throws -> Int64 {
        guard let location, let last = location.split(separator: "/").last, let id = Int64(last) else {
            throw SchwabError.unexpectedBody(status: Int(status), body: "order accepted without a usable Location header (\(location ?? "none"))")
        }
        return id
    }

    static func formEncode(_ text: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    static func query(_ items: [(String, String)]) -> String {
        items.map { "\($0.0)=\(formEncode($0.1))" }.joined(separator: "&")
    }

    static func path(_ segment: String) -> String { formEncode(segment) }
}
