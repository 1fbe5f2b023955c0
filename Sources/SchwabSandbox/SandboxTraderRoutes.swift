import Foundation
import KeelCore
import Vapor

/// `/trader/v1`: account numbers and hashes, accounts, orders with their lifecycle, transactions, preferences.
struct SandboxTraderRoutes {
    let state: SandboxState

    func register(_ app: Application) {
        let trader = app.grouped("trader", "v1")
        trader.get("accounts", "accountNumbers", use: accountNumbers)
        trader.get("accounts", use: accounts)
        trader.get("accounts", ":hash", use: account)
        trader.get("accounts", ":hash", "orders", use: accountOrders)
        trader.post("accounts", ":hash", "orders", use: placeOrder)
        trader.get("accounts", ":hash", "orders", ":id", use: getOrder)
        trader.put("accounts", ":hash", "orders", ":id", use: replaceOrder)
        trader.delete("accounts", ":hash", "orders", ":id", use: cancelOrder)
        trader.get("orders", use: allOrders)
        trader.get("accounts", ":hash", "transactions", use: transactions)
        trader.get("userPreference", use: userPreference)
    }

    /// The login behind the request's bearer token (the fault middleware has already checked it).
    func user(_ req: Request) async -> String? {
        guard let token = req.headers.bearerAuthorization?.token else { return nil }
        return await state.user(ofAccessToken: token)
    }

    func accountNumbers(req: Request) async throws -> Response {
        let accounts = await state.accountsSnapshot(user: await user(req))
        return SandboxErrors.json(.ok, accounts.map { ["accountNumber": $0.number, "hashValue": $0.hash] })
    }

    func accounts(req: Request) async throws -> Response {
        let positions = req.query[String.self, at: "fields"]?.contains("positions") == true
        let accounts = await state.accountsSnapshot(user: await user(req))
        let now = state.configuration.clock.now()
        return SandboxErrors.json(.ok, accounts.map { SandboxRendering.account($0, positions: positions, prices: state.prices, now: now) })
    }

    /// The account behind a hash path segment, or the 400 Schwab answers for a raw number or an unknown hash.
    func resolve(_ req: Request) async -> (hash: String, account: SandboxAccount)? {
        guard let hash = req.parameters.get("hash"), let account = await state.account(hash: hash), account.user == (await user(req)) else { return nil }
        return (hash, account)
    }

    func invalidAccount(_ req: Request) -> Response {
        SandboxErrors.response(.badRequest, path: req.url.path, message: "Invalid account number")
    }

    func account(req: Request) async throws -> Response {
        guard let (_, _) = await resolve(req) else { return invalidAccount(req) }
        let positions = req.query[String.self, at: "fields"]?.contains("positions") == true
        guard let fresh = await state.accountsSnapshot(user: await user(req)).first(where: { $0.hash == req.parameters.get("hash") }) else {
            return invalidAccount(req)
        }
        return SandboxErrors.json(.ok, SandboxRendering.account(fresh, positions: positions, prices: state.prices, now: state.configuration.clock.now()))
    }

    /// Parses `fromEnteredTime`/`toEnteredTime` (with or without milliseconds); both are required.
    func window(_ req: Request, from fromKey: String, to toKey: String) -> (Date, Date)? {
        guard let fromText = req.query[String.self, at: fromKey], let toText = req.query[String.self, at: toKey],
              let from = Self.parseDate(fromText), let to = Self.parseDate(toText) else { return nil }
        return (from, to)
    }

    static func parseDate(_ text: String) -> Date? {
        DateText.instant(text)?.date
    }

    func accountOrders(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        return await listOrders(req, hash: hash, user: nil)
    }

    func allOrders(req: Request) async throws -> Response {
        await listOrders(req, hash: nil, user: await user(req))
    }

    func listOrders(_ req: Request, hash: String?, user: String?) async -> Response {
        guard let (from, to) = window(req, from: "fromEnteredTime", to: "toEnteredTime") else {
            return SandboxErrors.response(.badRequest, path: req.url.path,
                                          message: "fromEnteredTime and toEnteredTime are required, formatted yyyy-MM-dd'T'HH:mm:ss.SSSZ")
        }
        let maxResults = req.query[Int.self, at: "maxResults"] ?? 3000
        let orders = await state.orders(hash: hash, user: user, from: from, to: to, status: req.query[String.self, at: "status"], maxResults: maxResults)
        return SandboxErrors.json(.ok, orders.map(SandboxRendering.order))
    }

    func placeOrder(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        let request: SandboxOrderRequest
        switch Self.parseOrder(req.body.data.map { Data(buffer: $0) }) {
        case .failure(let message): return SandboxErrors.response(.badRequest, path: req.url.path, message: message)
        case .success(let parsed): request = parsed
        }
        do {
            try await state.admitOrderRequest(hash: hash)
        } catch {
            return SandboxErrors.response(.tooManyRequests, path: req.url.path, message: "Order request rate limit exceeded").with(header: "Retry-After", value: "60")
        }
        let fault = await state.takeFault(method: "POST", path: req.url.path, kinds: [.partialFill, .rejectOrder, .timeoutAfterProcessing])
        let id: Int64
        do {
            id = try await state.place(hash: hash, request: request, fault: fault?.fault)
        } catch SandboxState.OrderError.invalid(let message) {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: message)
        }
        if fault?.fault == .timeoutAfterProcessing {
            // The order exists; the answer arrives too late for the client.
            try await Task.sleep(nanoseconds: UInt64((fault?.delaySeconds ?? 30) * 1_000_000_000))
        }
        return SandboxErrors.empty(.created, headers: [("Location", "\(state.configuration.publicBaseURL)/trader/v1/accounts/\(hash)/orders/\(id)")])
    }

    func getOrder(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        guard let id = req.parameters.get("id").flatMap(Int64.init), let order = await state.order(hash: hash, id: id) else {
            return SandboxErrors.response(.notFound, path: req.url.path, message: "Order not found")
        }
        return SandboxErrors.json(.ok, SandboxRendering.order(order))
    }

    func replaceOrder(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        guard let id = req.parameters.get("id").flatMap(Int64.init) else {
            return SandboxErrors.response(.notFound, path: req.url.path, message: "Order not found")
        }
        guard case .success(let request) = Self.parseOrder(req.body.data.map { Data(buffer: $0) }) else {
            if case .failure(let message) = Self.parseOrder(req.body.data.map { Data(buffer: $0) }) {
                return SandboxErrors.response(.badRequest, path: req.url.path, message: message)
            }
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "invalid order")
        }
        do {
            try await state.admitOrderRequest(hash: hash)
            let newID = try await state.replace(hash: hash, id: id, with: request)
            return SandboxErrors.empty(.created, headers: [("Location", "\(state.configuration.publicBaseURL)/trader/v1/accounts/\(hash)/orders/\(newID)")])
        } catch {
            return orderFailure(req, error)
        }
    }

    /// How Schwab answers a replace or cancel it refuses: throttled, invalid, or an order it does not know.
    func orderFailure(_ req: Request, _ error: any Error) -> Response {
        switch error {
        case SandboxState.OrderError.throttled: SandboxErrors.response(.tooManyRequests, path: req.url.path, message: "Order request rate limit exceeded")
        case SandboxState.OrderError.invalid(let message): SandboxErrors.response(.badRequest, path: req.url.path, message: message)
        default: SandboxErrors.response(.notFound, path: req.url.path, message: "Order not found")
        }
    }

    func cancelOrder(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        guard let id = req.parameters.get("id").flatMap(Int64.init) else {
            return SandboxErrors.response(.notFound, path: req.url.path, message: "Order not found")
        }
        do {
            try await state.admitOrderRequest(hash: hash)
            try await state.cancel(hash: hash, id: id)
            return SandboxErrors.empty(.ok)
        } catch {
            return orderFailure(req, error)
        }
    }

    func transactions(req: Request) async throws -> Response {
        guard let (hash, _) = await resolve(req) else { return invalidAccount(req) }
        guard let (from, to) = window(req, from: "startDate", to: "endDate"), req.query[String.self, at: "types"] != nil else {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "startDate, endDate and types are required")
        }
        // Schwab answers at most a year of transactions per request.
        guard to >= from, to.timeIntervalSince(from) <= 366 * 86_400 else {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "the date range must be one year or less, endDate after startDate")
        }
        let types = Set((req.query[String.self, at: "types"] ?? "").split(separator: ",").map(String.init))
        let rows = types.contains("TRADE") ? await state.transactions(hash: hash, from: from, to: to) : []
        return SandboxErrors.json(.ok, rows.map(SandboxRendering.transaction))
    }

    func userPreference(req: Request) async throws -> Response {
        let accounts = await state.accountsSnapshot(user: await user(req))
        return SandboxErrors.json(.ok, [
            "accounts": accounts.enumerated().map { index, account in
                ["accountNumber": account.number, "primaryAccount": index == 0, "type": "BROKERAGE", "nickName": account.nickname,
                 "displayAcctId": "..." + account.number.suffix(3), "autoPositionEffect": false, "accountColor": "Green", "lotSelectionMethod": "FIFO"] as [String: Any]
            },
            "streamerInfo": [["streamerSocketUrl": "wss://127.0.0.1/ws", "schwabClientCustomerId": "sandbox-customer", "schwabClientCorrelId": UUID().uuidString,
                              "schwabClientChannel": "N9", "schwabClientFunctionId": "APIAPP"]],
            "offers": [["level2Permissions": true, "mktDataPermission": "NP"]],
        ])
    }

    enum Parsed { case success(SandboxOrderRequest), failure(String) }

    static let allowedKeys: Set<String> = ["session", "duration", "orderType", "price", "stopPrice", "orderLegCollection", "orderStrategyType",
                                           "complexOrderStrategyType", "quantity", "taxLotMethod", "specialInstruction"]

    /// Validates a single-leg equity order as Schwab would, accepting `price` as a string or a number.
    static func parseOrder(_ data: Data?) -> Parsed {
        guard let data, let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            return .failure("A validation error occurred while processing the request: the body is not a JSON order")
        }
        if let unknown = body.keys.first(where: { !allowedKeys.contains($0) }) {
            return .failure("A validation error occurred while processing the request: unexpected field \(unknown)")
        }
        guard let orderType = body["orderType"] as? String, ["MARKET", "LIMIT"].contains(orderType) else {
            return .failure("orderType must be MARKET or LIMIT in the sandbox")
        }
        guard (body["orderStrategyType"] as? String) == "SINGLE" else { return .failure("orderStrategyType must be SINGLE in the sandbox") }
        let session = body["session"] as? String ?? "NORMAL"
        let duration = body["duration"] as? String ?? "DAY"
        guard ["NORMAL", "AM", "PM", "SEAMLESS"].contains(session) else { return .failure("invalid session \(session)") }
        guard let legs = body["orderLegCollection"] as? [[String: Any]], legs.count == 1, let leg = legs.first,
              let instrument = leg["instrument"] as? [String: Any], let instruction = leg["instruction"] as? String,
              let symbol = instrument["symbol"] as? String else {
            return .failure("orderLegCollection must hold one leg with instruction and instrument.symbol")
        }
        guard (instrument["assetType"] as? String) == "EQUITY" else { return .failure("only EQUITY orders are supported in the sandbox") }
        guard ["BUY", "SELL", "BUY_TO_COVER", "SELL_SHORT"].contains(instruction) else {
            return .failure("Instruction \(instruction) is not valid for assetType EQUITY")
        }
        let quantity = (leg["quantity"] as? NSNumber)?.doubleValue ?? (leg["quantity"] as? String).flatMap(Double.init) ?? 0
        guard quantity > 0 else { return .failure("quantity must be positive") }
        var price: Double?
        if let number = body["price"] as? NSNumber { price = number.doubleValue } else if let text = body["price"] as? String { price = Double(text) }
        if orderType == "LIMIT", price == nil || price! <= 0 { return .failure("a LIMIT order needs a positive price") }
        return .success(SandboxOrderRequest(symbol: symbol.uppercased(), instruction: instruction, quantity: quantity, orderType: orderType,
                                            price: orderType == "LIMIT" ? price : nil, session: session, duration: duration))
    }
}
