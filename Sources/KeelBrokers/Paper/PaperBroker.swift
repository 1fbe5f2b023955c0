import Foundation
import KeelCore

/// The built-in broker, filling as a real one would (see `PaperOrderMatching`): market hours per asset class,
/// limit orders, fills capped by the bar's volume, Schwab's fees; it refuses orders its own books cannot cover
/// (no overdraft, no short selling). Orders that wait are matched again whenever they are looked up (the
/// reconciliation duty does so regularly). Every check and booking is one atomic step of the ledger, so
/// concurrent orders (in one process or several) can never spend the same cash twice. Splits scale its books at their
/// ex-date, and an order waiting across a split is cancelled (its quantity and limit were in the old shares).
public actor PaperBroker: Broker {
    public nonisolated let name = "paper"
    private let ledger: any PaperBrokerLedger
    private let quoteSource: any QuoteSource
    private let costs: PaperExecutionCosts
    private let clock: any KeelClock
    private let corporateActions: any CorporateActionSource

    public init(ledger: any PaperBrokerLedger, quoteSource: any QuoteSource, costs: PaperExecutionCosts, clock: any KeelClock,
                corporateActions: any CorporateActionSource = NoCorporateActions()) {
        self.ledger = ledger
        self.quoteSource = quoteSource
        self.costs = costs
        self.clock = clock
        self.corporateActions = corporateActions
    }

    public func openAccount(accountID: String, openingCash: Decimal) async throws {
        try await ledger.openAccount(accountID: accountID, openingCash: openingCash, at: clock.now())
    }

    public func accountSnapshot(accountID: String) async throws -> BrokerAccountSnapshot {
        try await advance(accountID: accountID)
        guard let opening = try await ledger.openingCash(accountID: accountID) else {
            throw BrokerError.unknownAccount(accountID)
        }
        let splits = try await corporateActions.splits(effectiveBy: clock.now())
        return Self.snapshot(accountID: accountID, openingCash: opening, orders: try await ledger.orders(accountID: accountID), splits: splits)
    }

    public func quotes(symbols: [String], accountID: String) async throws -> [String: BrokerQuote] {
        try await quoteSource.latestQuotes(symbols: symbols)
    }

    public func placeOrder(_ request: BrokerOrderRequest) async throws -> BrokerOrder {
        if let existing = try await ledger.order(accountID: request.accountID, clientOrderKey: request.clientOrderKey) {
            return existing
        }
        // The price is read first; the cash and position checks happen inside the ledger's atomic step,
        // against the books as they are when the order is stored.
        let quote = request.quantity > 0 ? try await quoteSource.latestQuotes(symbols: [request.symbol])[request.symbol] : nil
        let now = clock.now()
        let splits = try await corporateActions.splits(effectiveBy: now)
        let orderID = "PAPER-" + UUID().uuidString.lowercased()
        let matching = PaperOrderMatching(costs: costs)
        let placed = try await ledger.placeOrder(accountID: request.accountID, clientOrderKey: request.clientOrderKey) { openingCash, orders in
            Self.decide(request, quote: quote, account: Self.snapshot(accountID: request.accountID, openingCash: openingCash, orders: orders, splits: splits),
                        matching: matching, orderID: orderID, now: now)
        }
        guard let placed else { throw BrokerError.unknownAccount(request.accountID) }
        return placed
    }

    /// Places many orders (of many accounts) as one step of the ledger, each account's in the order given: the same
    /// decision as `placeOrder`, priced with one quote read for all of them. Returns the orders by client order key;
    /// the orders of an account the broker does not know are absent.
    public func placeOrders(_ requests: [BrokerOrderRequest]) async throws -> [String: BrokerOrder] {
        guard !requests.isEmpty else { return [:] }
        let quotes = try await quoteSource.latestQuotes(symbols: Array(Set(requests.filter { $0.quantity > 0 }.map(\.symbol))).sorted())
        let now = clock.now()
        let splits = try await corporateActions.splits(effectiveBy: now)
        let matching = PaperOrderMatching(costs: costs)
        var keysByAccount: [(accountID: String, clientOrderKeys: [String])] = []
        var accountIndex: [String: Int] = [:]
        var requestByKey: [String: BrokerOrderRequest] = [:]
        for request in requests {
            requestByKey[request.clientOrderKey] = request
            if let index = accountIndex[request.accountID] {
                keysByAccount[index].clientOrderKeys.append(request.clientOrderKey)
            } else {
                accountIndex[request.accountID] = keysByAccount.count
                keysByAccount.append((request.accountID, [request.clientOrderKey]))
            }
        }
        let byKey = requestByKey
        return try await ledger.placeOrders(keysByAccount) { accountID, openingCash, orders, key in
            let request = byKey[key]!
            return Self.decide(request, quote: request.quantity > 0 ? quotes[request.symbol] : nil,
                               account: Self.snapshot(accountID: accountID, openingCash: openingCash, orders: orders, splits: splits),
                               matching: matching, orderID: "PAPER-" + UUID().uuidString.lowercased(), now: now)
        }
    }

    /// Accepts the order and matches it once: it fills (wholly or in part) now, waits, or is refused.
    static func decide(_ request: BrokerOrderRequest, quote: BrokerQuote?, account: BrokerAccountSnapshot, matching: PaperOrderMatching,
                       orderID: String, now: Date) -> BrokerOrder {
        var order = BrokerOrder(brokerOrderID: orderID, clientOrderKey: request.clientOrderKey, symbol: request.symbol, side: request.side,
                                quantity: request.quantity, status: .accepted, fills: [], createdAt: now,
                                orderType: request.orderType, limitPrice: request.limitPrice)
        func rejected(_ reason: String) -> BrokerOrder {
            order.status = .rejected
            order.rejectReason = reason
            return order
        }
        guard request.quantity > 0 else { return rejected("quantity must be positive") }
        if request.orderType == .limit {
            guard let limit = request.limitPrice, limit > 0 else { return rejected("a limit order needs a positive limit price") }
        }
        guard quote != nil else { return rejected("no price for \(request.symbol)") }
        return matching.step(order, quote: quote, account: account, now: now)
    }

    /// Matches the account's waiting orders again at the current time and prices; one placed before a split of its
    /// symbol that has since taken effect is cancelled instead.
    func advance(accountID: String) async throws {
        let open = try await ledger.orders(accountID: accountID).filter { !$0.status.isFinal }
        guard !open.isEmpty else { return }
        let quotes = try await quoteSource.latestQuotes(symbols: Array(Set(open.map(\.symbol))))
        let now = clock.now()
        let splits = try await corporateActions.splits(effectiveBy: now)
        let matching = PaperOrderMatching(costs: costs)
        try await ledger.updateOrders(accountID: accountID) { openingCash, orders in
            var books = orders
            var changed: [BrokerOrder] = []
            for (index, order) in books.enumerated() where !order.status.isFinal {
                if let split = splits.first(where: { $0.symbol == order.symbol && order.createdAt < $0.effectiveAt }) {
                    var cancelled = order
                    cancelled.status = .cancelled
                    cancelled.rejectReason = "cancelled by the \(split)"
                    books[index] = cancelled
                    changed.append(cancelled)
                    continue
                }
                let account = Self.snapshot(accountID: accountID, openingCash: openingCash, orders: books, splits: splits)
                let next = matching.step(order, quote: quotes[order.symbol], account: account, now: now)
                if next != order {
                    books[index] = next
                    changed.append(next)
                }
            }
            return changed
        }
    }

    public func order(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder? {
        try await advance(accountID: accountID)
        return try await ledger.order(accountID: accountID, clientOrderKey: reference.clientOrderKey)
    }

    public func cancelOrder(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder {
        guard let order = try await ledger.order(accountID: accountID, clientOrderKey: reference.clientOrderKey) else {
            throw BrokerError.rejected("no order with client order key \(reference.clientOrderKey)")
        }
        guard !order.status.isFinal else {
            throw BrokerError.rejected("order \(order.brokerOrderID) is already \(order.status.rawValue)")
        }
        let key = reference.clientOrderKey
        try await ledger.updateOrders(accountID: accountID) { _, orders in
            guard var open = orders.first(where: { $0.clientOrderKey == key }), !open.status.isFinal else { return [] }
            open.status = .cancelled
            open.rejectReason = "cancelled at the client's request"
            return [open]
        }
        guard let cancelled = try await ledger.order(accountID: accountID, clientOrderKey: key) else {
            throw BrokerError.rejected("no order with client order key \(key)")
        }
        return cancelled
    }

    public func orders(accountID: String) async throws -> [BrokerOrder] {
        try await advance(accountID: accountID)
        return try await ledger.orders(accountID: accountID)
    }

    public func transactions(accountID: String) async throws -> [BrokerFill] {
        try await ledger.orders(accountID: accountID).flatMap(\.fills).sorted { $0.time < $1.time }
    }

    /// Cash and positions implied by the opening cash and every fill, in order, with the splits in effect applied
    /// where they fall among the fills (a split scales the shares held at its ex-date; their cost stays, less the part
    /// of a fraction of a share paid in cash).
    static func snapshot(accountID: String, openingCash: Decimal, orders: [BrokerOrder], splits: [StockSplit] = []) -> BrokerAccountSnapshot {
        var cash = openingCash
        var quantity: [String: Decimal] = [:]
        var cost: [String: Decimal] = [:]
        var pending = splits.sorted { ($0.effectiveAt, $0.symbol) < ($1.effectiveAt, $1.symbol) }[...]
        func applySplits(before time: Date) {
            while let split = pending.first, split.effectiveAt <= time {
                pending = pending.dropFirst()
                guard let held = quantity[split.symbol] else { continue }
                // A fraction of a share left is paid in cash at the split's fixed price, and takes its part of the cost.
                let settled = split.settle(held)
                if settled.paidShares > 0, held > 0 { cost[split.symbol, default: 0] *= settled.kept / (held * split.ratio) }
                quantity[split.symbol] = settled.kept
                cash += settled.cash
            }
        }
        for fill in orders.flatMap(\.fills).sorted(by: { $0.time < $1.time }) {
            applySplits(before: fill.time)
            let held = quantity[fill.symbol, default: 0]
            switch fill.side {
            case .buy:
                // Each fill settles in cents, as a broker posts it (and as Keel's ledger does).
                cash -= (fill.quantity * fill.price + fill.commission).roundedToCents
                cost[fill.symbol, default: 0] += fill.quantity * fill.price
                quantity[fill.symbol] = held + fill.quantity
            case .sell:
                cash += (fill.quantity * fill.price - fill.commission).roundedToCents
                if held > 0 { cost[fill.symbol, default: 0] *= (held - fill.quantity) / held }
                quantity[fill.symbol] = held - fill.quantity
            }
        }
        applySplits(before: .distantFuture)
        let positions = quantity.filter { $0.value != 0 }.map { symbol, q in
            Holding(symbol: symbol, quantity: q, averageCost: (cost[symbol, default: 0] / q).rounded(scale: 6))
        }.sorted { $0.symbol < $1.symbol }
        return BrokerAccountSnapshot(accountID: accountID, cash: cash.roundedToCents, positions: positions)
    }
}
