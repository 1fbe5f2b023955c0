import Foundation
import KeelCore

/// Supplies a valid access token for a Schwab account (the token manager: refreshes, disconnects).
public protocol SchwabAccessTokens: Sendable {
    func accessToken(forAccount accountHash: String) async throws -> String
}

/// The Broker protocol over Schwab's Trader API. Schwab has no client order id, so an order whose placement
/// went unanswered is found again by listing the account's orders around the time it was sent and matching
/// symbol, side and quantity, before anything could be re-sent.
public struct SchwabBroker: Broker {
    public let name = "schwab"
    let client: SchwabClient
    let tokens: any SchwabAccessTokens
    let clock: any KeelClock
    /// How far around the intent's time a matching order is looked for.
    public var matchWindow: TimeInterval = 600

    public init(client: SchwabClient, tokens: any SchwabAccessTokens, clock: any KeelClock) {
        self.client = client
        self.tokens = tokens
        self.clock = clock
    }

    public func accountSnapshot(accountID: String) async throws -> BrokerAccountSnapshot {
        let token = try await token(for: accountID)
        let account = try await call { try await client.account(accessToken: token, hash: accountID, positions: true) }
        let positions = (account.securitiesAccount.positions ?? []).filter { $0.instrument.assetType != "CASH_EQUIVALENT" }.map {
            Holding(symbol: $0.instrument.symbol, quantity: Decimal(exactly: $0.longQuantity - $0.shortQuantity),
                           averageCost: Decimal(exactly: $0.averagePrice).rounded(scale: 6))
        }
        return BrokerAccountSnapshot(accountID: accountID, cash: Decimal(exactly: account.cash).roundedToCents, positions: positions)
    }

    public func quotes(symbols: [String], accountID: String) async throws -> [String: BrokerQuote] {
        guard !symbols.isEmpty else { return [:] }
        let token = try await token(for: accountID)
        let response = try await call { try await client.quotes(accessToken: token, symbols: symbols) }
        var out: [String: BrokerQuote] = [:]
        for (symbol, entry) in response.quotes {
            guard let last = entry.quote?.lastPrice ?? entry.quote?.mark else { continue }
            let time = entry.quote?.tradeTime.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? clock.now()
            out[symbol] = BrokerQuote(symbol: symbol, last: Decimal(exactly: last), time: time)
        }
        return out
    }

    public func placeOrder(_ request: BrokerOrderRequest) async throws -> BrokerOrder {
        guard request.quantity > 0 else { throw BrokerError.rejected("quantity must be positive") }
        let order = SchwabOrderRequest.equity(symbol: request.symbol, instruction: request.side == .buy ? "BUY" : "SELL",
                                              quantity: request.quantity.doubleValue,
                                              limitPrice: request.orderType == .limit ? request.limitPrice : nil)
        let token = try await token(for: request.accountID)
        let orderID = try await call { try await client.placeOrder(accessToken: token, hash: request.accountID, order: order) }
        // Placed: its fate is known from here on; a failure to read it back is not a failure to place it.
        do {
            let placed = try await client.order(accessToken: token, hash: request.accountID, orderID: orderID)
            return Self.brokerOrder(placed, clientOrderKey: request.clientOrderKey)
        } catch {
            return BrokerOrder(brokerOrderID: String(orderID), clientOrderKey: request.clientOrderKey, symbol: request.symbol, side: request.side,
                               quantity: request.quantity, status: .accepted, fills: [], createdAt: clock.now())
        }
    }

    public func order(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder? {
        let token = try await token(for: accountID)
        if let id = reference.brokerOrderID.flatMap(Int64.init) {
            let order = try await call { try await client.order(accessToken: token, hash: accountID, orderID: id) }
            return Self.brokerOrder(order, clientOrderKey: reference.clientOrderKey)
        }
        let around = reference.submittedAt ?? clock.now()
        let candidates = try await call {
            try await client.orders(accessToken: token, hash: accountID, from: around.addingTimeInterval(-matchWindow), to: around.addingTimeInterval(matchWindow))
        }
        let instruction = reference.side == .buy ? "BUY" : "SELL"
        let match = candidates
            .filter { order in
                guard let leg = order.orderLegCollection?.first, let id = order.orderId?.value else { return false }
                return leg.instrument.symbol == reference.symbol && leg.instruction == instruction
                    && Decimal(exactly: leg.quantity) == reference.quantity && !reference.claimedBrokerOrderIDs.contains(String(id))
            }
            .min { abs(($0.enteredTime ?? around).timeIntervalSince(around)) < abs(($1.enteredTime ?? around).timeIntervalSince(around)) }
        return match.map { Self.brokerOrder($0, clientOrderKey: reference.clientOrderKey) }
    }

    public func cancelOrder(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder {
        guard let found = try await order(accountID: accountID, reference: reference), let id = Int64(found.brokerOrderID) else {
            throw BrokerError.rejected("no Schwab order matches \(reference.clientOrderKey)")
        }
        let token = try await token(for: accountID)
        try await call { try await client.cancelOrder(accessToken: token, hash: accountID, orderID: id) }
        let updated = try await call { try await client.order(accessToken: token, hash: accountID, orderID: id) }
        return Self.brokerOrder(updated, clientOrderKey: reference.clientOrderKey)
    }

    public func orders(accountID: String) async throws -> [BrokerOrder] {
        let token = try await token(for: accountID)
        let now = clock.now()
        return try await call { try await client.orders(accessToken: token, hash: accountID, from: now.addingTimeInterval(-60 * 86_400), to: now) }
            .map { Self.brokerOrder($0, clientOrderKey: "") }
    }

    public func transactions(accountID: String) async throws -> [BrokerFill] {
        try await orders(accountID: accountID).flatMap(\.fills).sorted { $0.time < $1.time }
    }

    /// Schwab's TRADE transactions from `start`, read a year at a time (Schwab's longest window), oldest first.
    public func tradeHistory(accountID: String, from start: Date) async throws -> [HistoricalTrade] {
        let token = try await token(for: accountID)
        let now = clock.now()
        var trades: [HistoricalTrade] = []
        var windowStart = start
        while windowStart < now {
            let windowEnd = min(windowStart.addingTimeInterval(Self.historyWindow), now)
            let rows = try await call { try await client.transactions(accessToken: token, hash: accountID, start: windowStart, end: windowEnd) }
            trades += rows.compactMap(Self.historicalTrade)
            windowStart = windowEnd.addingTimeInterval(0.001)
        }
        return trades.sorted { ($0.day, $0.tradeID) < ($1.day, $1.tradeID) }
    }

    /// One year less a day, so no window is refused as longer than Schwab's year.
    static let historyWindow: TimeInterval = 364 * 86_400

    /// A trade of one security: the transfer item that is not a fee or currency; fees are the fee items' costs.
    public static func historicalTrade(_ transaction: SchwabTransaction) -> HistoricalTrade? {
        guard transaction.type == "TRADE", (transaction.status ?? "VALID") == "VALID" else { return nil }
        let items = transaction.transferItems ?? []
        let isFee = { (item: SchwabTransferItem) in item.feeType != nil || item.instrument?.assetType == "CURRENCY" }
        guard let security = items.first(where: { !isFee($0) }), let symbol = security.instrument?.symbol,
              ["EQUITY", "COLLECTIVE_INVESTMENT", "ETF", "MUTUAL_FUND"].contains(security.instrument?.assetType ?? ""),
              let amount = security.amount, amount != 0, amount.isFinite, let price = security.price, price.isFinite, price >= 0 else { return nil }
        let fees = items.filter(isFee).reduce(0.0) { $0 + abs($1.cost ?? 0) }
        return HistoricalTrade(tradeID: String(transaction.activityId.value), orderID: transaction.orderId?.value, symbol: symbol,
                               side: amount > 0 ? .buy : .sell, quantity: Decimal(exactly: abs(amount)), price: Decimal(exactly: price),
                               fees: Decimal(exactly: fees).roundedToCents, day: CivilDay(transaction.tradeDate ?? transaction.time))
    }

    /// Maps Schwab's 21 statuses onto Keel's few, and each execution leg onto a fill with a stable id.
    static func brokerOrder(_ order: SchwabOrder, clientOrderKey: String) -> BrokerOrder {
        let leg = order.orderLegCollection?.first
        let side: OrderSide = (leg?.instruction ?? "BUY").hasPrefix("BUY") ? .buy : .sell
        let id = order.orderId.map { String($0.value) } ?? ""
        let fills = order.executions.enumerated().map { index, execution in
            BrokerFill(fillID: "schwab-\(id)-\(index + 1)", clientOrderKey: clientOrderKey, symbol: leg?.instrument.symbol ?? "", side: side,
                       quantity: Decimal(exactly: execution.quantity), price: Decimal(exactly: execution.price), commission: 0, time: execution.time)
        }
        let status: BrokerOrderStatus
        switch order.status {
        case "FILLED": status = .filled
        case "REJECTED": status = .rejected
        case "CANCELED", "EXPIRED", "REPLACED": status = fills.isEmpty ? .cancelled : .partiallyFilled
        case "WORKING" where !fills.isEmpty: status = .partiallyFilled
        default: status = fills.isEmpty ? .working : .partiallyFilled
        }
        return BrokerOrder(brokerOrderID: id, clientOrderKey: clientOrderKey, symbol: leg?.instrument.symbol ?? "", side: side,
                           quantity: Decimal(exactly: leg?.quantity ?? order.quantity ?? 0), status: status, fills: fills,
                           rejectReason: order.statusDescription, createdAt: order.enteredTime ?? Date())
    }

    /// A token for the account; failing here means nothing was sent, so it is a plain refusal.
    func token(for account: String) async throws -> String {
        do {
            return try await tokens.accessToken(forAccount: account)
        } catch {
            throw BrokerError.rejected("no usable Schwab login for the account: \(error)")
        }
    }

    /// Translates Schwab's errors into the broker errors the execution rules act on.
    func call<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SchwabError {
            // 5xx and transport failures may have reached Schwab; everything else means Schwab did not act.
            if error.outcomeUnknown { throw BrokerError.outcomeUnknown(error.description) }
            switch error {
            case .badRequest(let message), .forbidden(let message), .notFound(let message): throw BrokerError.rejected(message)
            default: throw BrokerError.rejected(error.description)
            }
        }
    }
}
