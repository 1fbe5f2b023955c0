import Crypto
import Foundation
import KeelCore

/// Everything the sandbox knows: the app's OAuth grants, the user's accounts, orders and transactions,
/// the injected faults. An actor: every request sees one consistent state.
actor SandboxState {
    let configuration: SandboxConfiguration
    let prices: SandboxPriceFeed
    private(set) var accounts: [String: SandboxAccount] = [:]
    private var accountByHash: [String: String] = [:]
    private var orders: [Int64: SandboxOrder] = [:]
    private var transactions: [SandboxTransaction] = []
    private var codes: [String: SandboxAuthorizationCode] = [:]
    private var lineages: [String: SandboxLineage] = [:]
    private var accessTokens: [String: SandboxAccessToken] = [:]
    private var chaos: [ChaosRule] = []
    private var orderRequests: [String: [Date]] = [:]
    private var nextOrderID: Int64 = 1_002_613_435_352
    private var nextActivityID: Int64 = 91_176_753_938
    private(set) var counters = SandboxCounters()

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        self.prices = SandboxPriceFeed(seed: configuration.priceSeed)
        for account in Self.defaultAccounts() {
            accounts[account.number] = account
            accountByHash[account.hash] = account.number
        }
        transactions = Self.defaultHistory(now: configuration.clock.now())
    }

    /// The trades that built the default accounts' positions, for Keel to rebuild their tax lots from: SPY bought,
    /// partly sold and bought again (60 at 450 and 40 at 525 left: the 480 average); AAPL bought over two years (30 at
    /// 160, 20 at 185: 170); MSFT half explained (10 at 400 two months ago; the other 10 from before the history).
    static func defaultHistory(now: Date) -> [SandboxTransaction] {
        let day = 86_400.0
        let trades: [(account: String, daysAgo: Double, symbol: String, quantity: Double, price: Double, fees: Double)] = [
            ("12345678", 800, "AAPL", 30, 160, 0), ("12345678", 400, "SPY", 80, 450, 0), ("12345678", 300, "SPY", -20, 500, 0.05),
            ("12345678", 200, "AAPL", 20, 185, 0), ("12345678", 100, "SPY", 40, 525, 0), ("87654321", 60, "MSFT", 10, 400, 0),
        ]
        return trades.enumerated().map { index, trade in
            SandboxTransaction(activityID: 91_000_000_000 + Int64(index), accountNumber: trade.account, orderID: 1_001_000_000_000 + Int64(index),
                               time: now.addingTimeInterval(-trade.daysAgo * day), symbol: trade.symbol, quantity: trade.quantity, price: trade.price,
                               netAmount: -trade.quantity * trade.price - trade.fees, fees: trade.fees)
        }
    }

    var now: Date { configuration.clock.now() }

    static let defaultUser = "sandbox-user"

    /// The default Schwab user: a margin and a cash account, funded and holding a few positions.
    static func defaultAccounts() -> [SandboxAccount] {
        [
            SandboxAccount(user: defaultUser, number: "12345678", hash: hash("12345678"), type: "MARGIN", cash: 250_000,
                           positions: ["SPY": .init(quantity: 100, averagePrice: 480), "AAPL": .init(quantity: 50, averagePrice: 170)],
                           nickname: "Individual Brokerage"),
            SandboxAccount(user: defaultUser, number: "87654321", hash: hash("87654321"), type: "CASH", cash: 50_000,
                           positions: ["MSFT": .init(quantity: 20, averagePrice: 380)], nickname: "Roth Contributory IRA"),
        ]
    }

    /// Another login (named on the authorize URL with `user=`): two accounts of its own, funded alike.
    func ensureUser(_ user: String) {
        guard !accounts.values.contains(where: { $0.user == user }) else { return }
        let base = Int(SandboxRendering.stableID(user) % 90_000_000) + 10_000_000
        for (offset, type) in [(0, "MARGIN"), (1, "CASH")] {
            let number = String(base + offset)
            let account = SandboxAccount(user: user, number: number, hash: Self.hash(number), type: type, cash: type == "MARGIN" ? 200_000 : 40_000,
                                         positions: ["SPY": .init(quantity: 20, averagePrice: 470)], nickname: "\(type == "MARGIN" ? "Brokerage" : "IRA") of \(user)")
            accounts[number] = account
            accountByHash[account.hash] = number
        }
    }

    /// The login an access token belongs to.
    func user(ofAccessToken token: String) -> String? {
        accessTokens[token].flatMap { lineages[$0.lineageID]?.user }
    }

    /// 64 uppercase hex characters, stable per account number, like Schwab's hashes.
    static func hash(_ number: String) -> String {
        SHA256.hash(data: Data("schwab-sandbox:\(number)".utf8)).map { String(format: "%02X", $0) }.joined()
    }

    func add(_ account: SandboxAccount) {
        accounts[account.number] = account
        accountByHash[account.hash] = account.number
    }

    func account(hash: String) -> SandboxAccount? { accountByHash[hash].flatMap { accounts[$0] } }
    func isRawAccountNumber(_ text: String) -> Bool { accounts[text] != nil }

    // MARK: Faults

    func setChaos(_ rules: [ChaosRule]) { chaos = rules }
    func addChaos(_ rule: ChaosRule) { chaos.append(rule) }

    /// The fault to inject into this request, if any (consumes one use of its rule).
    func takeFault(method: String, path: String, kinds: Set<ChaosRule.Fault>) -> ChaosRule? {
        guard let index = chaos.firstIndex(where: { kinds.contains($0.fault) && $0.matches(method: method, path: path) }) else { return nil }
        let rule = chaos[index]
        if let count = rule.count {
            if count <= 1 { chaos.remove(at: index) } else { chaos[index].count = count - 1 }
        }
        return rule
    }

    func countRequest() { counters.apiRequests += 1 }

    // MARK: OAuth

    func issueCode(redirectURI: String, user: String) -> String {
        ensureUser(user)
        let code = "C0." + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "=", with: "") + "@"
        codes[code] = SandboxAuthorizationCode(user: user, issuedAt: now, redirectURI: redirectURI, used: false)
        return code
    }

    enum GrantError: Error {
        case invalidGrant(String)
        case refreshRejected
    }

    /// Single-use, short-lived codes; a new grant revokes every earlier lineage (one live token per app and user).
    func exchange(code: String, redirectURI: String?) throws -> (access: String, refresh: String) {
        guard var grant = codes[code] else { throw GrantError.invalidGrant("authorization code is unknown") }
        guard !grant.used else { throw GrantError.invalidGrant("authorization code was already used") }
        guard now.timeIntervalSince(grant.issuedAt) <= configuration.authorizationCodeLifetime else {
            throw GrantError.invalidGrant("authorization code expired")
        }
        if let redirectURI, redirectURI != grant.redirectURI { throw GrantError.invalidGrant("redirect_uri does not match") }
        grant.used = true
        codes[code] = grant
        for (id, lineage) in lineages where lineage.user == grant.user { lineages[id]?.revoked = true }
        let lineage = SandboxLineage(id: UUID().uuidString, user: grant.user, refreshToken: Self.token(), grantedAt: now, revoked: false)
        lineages[lineage.id] = lineage
        counters.codeExchanges += 1
        return (issueAccessToken(lineage.id), lineage.refreshToken)
    }

    /// A new access token on the same lineage; the 7-day limit counts from the first grant.
    func refresh(_ refreshToken: String) throws -> (access: String, refresh: String) {
        guard let lineage = lineages.values.first(where: { $0.refreshToken == refreshToken }), !lineage.revoked,
              now.timeIntervalSince(lineage.grantedAt) < configuration.refreshTokenLifetime else {
            counters.failedRefreshes += 1
            throw GrantError.refreshRejected
        }
        counters.refreshes += 1
        return (issueAccessToken(lineage.id), lineage.refreshToken)
    }

    private func issueAccessToken(_ lineageID: String) -> String {
        let token = Self.token()
        accessTokens[token] = SandboxAccessToken(lineageID: lineageID, expiresAt: now.addingTimeInterval(configuration.accessTokenLifetime))
        return token
    }

    func isValid(accessToken: String) -> Bool {
        guard let token = accessTokens[accessToken], token.expiresAt > now, let lineage = lineages[token.lineageID], !lineage.revoked else { return false }
        return true
    }

    static func token() -> String {
        Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    }

    // MARK: Orders

    enum OrderError: Error {
        case invalid(String)
        case throttled
        case notFound
    }

    /// Counts an order request against the account's per-minute limit.
    func admitOrderRequest(hash: String) throws {
        let window = (orderRequests[hash] ?? []).filter { now.timeIntervalSince($0) < 60 }
        guard window.count < configuration.ordersPerMinute else {
            counters.throttled += 1
            throw OrderError.throttled
        }
        orderRequests[hash] = window + [now]
    }

    func place(hash: String, request: SandboxOrderRequest, fault: ChaosRule.Fault?) throws -> Int64 {
        guard let number = accountByHash[hash], let account = accounts[number] else { throw OrderError.notFound }
        guard prices.knows(request.symbol) else { throw OrderError.invalid("Symbol \(request.symbol) is not found") }
        let id = nextOrderID
        nextOrderID += 1
        var order = SandboxOrder(id: id, accountNumber: number, symbol: request.symbol, instruction: request.instruction, quantity: request.quantity,
                                 orderType: request.orderType, limitPrice: request.price, session: request.session, duration: request.duration,
                                 status: "PENDING_ACTIVATION", enteredTime: now, executions: [], holdRemainder: fault == .partialFill)
        counters.ordersPlaced += 1
        if fault == .rejectOrder {
            reject(&order, "The order was rejected by the sandbox's fault injection.")
        } else if let reason = affordability(order, account: account) {
            reject(&order, reason)
        }
        orders[id] = order
        settle()
        return id
    }

    private func reject(_ order: inout SandboxOrder, _ reason: String) {
        order.status = "REJECTED"
        order.statusDescription = reason
        order.closeTime = now
    }

    private func affordability(_ order: SandboxOrder, account: SandboxAccount) -> String? {
        let price = order.limitPrice ?? prices.price(order.symbol, at: now) ?? 0
        switch order.instruction {
        case "BUY":
            if order.quantity * price > account.cash + 0.005 {
                return String(format: "Your buying power of $%.2f is not enough for this order of about $%.2f.", account.cash, order.quantity * price)
            }
        case "SELL":
            if order.quantity > (account.positions[order.symbol]?.quantity ?? 0) {
                return "You cannot sell more shares of \(order.symbol) than the account holds."
            }
        default:
            return "Instruction \(order.instruction) is not supported for EQUITY in this sandbox."
        }
        return nil
    }

    /// Moves open orders along: at the open, pending orders activate; market orders fill at once, limit
    /// orders when the price crosses their limit.
    func settle() {
        let time = now
        guard SandboxMarketClock.isOpen(time) else { return }
        for id in orders.keys.sorted() {
            guard var order = orders[id], order.isOpen else { continue }
            if order.status == "PENDING_ACTIVATION" { order.status = "WORKING" }
            guard let price = prices.price(order.symbol, at: time) else { orders[id] = order; continue }
            let crosses: Bool
            switch (order.orderType, order.instruction) {
            case ("MARKET", _): crosses = true
            case (_, "BUY"): crosses = price <= (order.limitPrice ?? 0)
            default: crosses = price >= (order.limitPrice ?? .infinity)
            }
            if crosses, order.executions.isEmpty || !order.holdRemainder {
                let quantity = order.holdRemainder ? (order.quantity / 2).rounded(.down) : order.remaining
                if quantity > 0 { execute(&order, quantity: quantity, price: order.orderType == "MARKET" ? price : min(price, order.limitPrice ?? price)) }
            }
            if order.remaining <= 0 {
                order.status = "FILLED"
                order.closeTime = time
            }
            orders[id] = order
        }
    }

    private func execute(_ order: inout SandboxOrder, quantity: Double, price: Double) {
        guard var account = accounts[order.accountNumber] else { return }
        let execution = SandboxExecution(activityID: nextActivityID, quantity: quantity, price: price, time: now)
        nextActivityID += 1
        order.executions.append(execution)
        var position = account.positions[order.symbol] ?? SandboxPosition(quantity: 0, averagePrice: 0)
        let signed = order.instruction == "BUY" ? quantity : -quantity
        if signed > 0 {
            position.averagePrice = (position.quantity * position.averagePrice + quantity * price) / (position.quantity + quantity)
        }
        position.quantity += signed
        account.positions[order.symbol] = position.quantity == 0 ? nil : position
        account.cash -= signed * price
        accounts[order.accountNumber] = account
        transactions.append(SandboxTransaction(activityID: execution.activityID, accountNumber: order.accountNumber, orderID: order.id,
                                               time: now, symbol: order.symbol, quantity: signed, price: price, netAmount: -signed * price))
    }

    func order(hash: String, id: Int64) -> SandboxOrder? {
        settle()
        guard let number = accountByHash[hash], let order = orders[id], order.accountNumber == number else { return nil }
        return order
    }

    func orders(hash: String?, user: String?, from: Date, to: Date, status: String?, maxResults: Int) -> [SandboxOrder] {
        settle()
        let number = hash.flatMap { accountByHash[$0] }
        return orders.values
            .filter { number == nil || $0.accountNumber == number }
            .filter { user == nil || accounts[$0.accountNumber]?.user == user }
            .filter { $0.enteredTime >= from && $0.enteredTime <= to }
            .filter { status == nil || $0.status == status }
            .sorted { $0.enteredTime > $1.enteredTime || ($0.enteredTime == $1.enteredTime && $0.id > $1.id) }
            .prefix(maxResults).map { $0 }
    }

    func cancel(hash: String, id: Int64) throws {
        settle()
        guard let number = accountByHash[hash], var order = orders[id], order.accountNumber == number else { throw OrderError.notFound }
        guard order.isOpen else { throw OrderError.invalid("Order \(id) is \(order.status) and cannot be canceled") }
        order.status = "CANCELED"
        order.closeTime = now
        orders[id] = order
    }

    func replace(hash: String, id: Int64, with request: SandboxOrderRequest) throws -> Int64 {
        settle()
        guard let number = accountByHash[hash], var old = orders[id], old.accountNumber == number else { throw OrderError.notFound }
        guard old.isOpen else { throw OrderError.invalid("Order \(id) is \(old.status) and cannot be replaced") }
        old.status = "REPLACED"
        old.closeTime = now
        orders[id] = old
        return try place(hash: hash, request: request, fault: nil)
    }

    func transactions(hash: String, from: Date, to: Date) -> [SandboxTransaction] {
        settle()
        guard let number = accountByHash[hash] else { return [] }
        return transactions.filter { $0.accountNumber == number && $0.time >= from && $0.time <= to }
    }

    func accountsSnapshot(user: String? = nil) -> [SandboxAccount] {
        settle()
        return accounts.values.filter { user == nil || $0.user == user }.sorted { $0.number < $1.number }
    }
}

/// A validated single-leg equity order request.
struct SandboxOrderRequest: Sendable {
    var symbol: String
    var instruction: String
    var quantity: Double
    var orderType: String
    var price: Double?
    var session: String
    var duration: String
}
