import Foundation
import KeelCore

/// The built-in broker: market orders fill at once at the latest price with slippage and commission;
/// it refuses orders its own books cannot cover (no overdraft, no short selling), as a real broker would.
/// The check and the booking are one atomic step of the ledger, so concurrent orders (in one process or
/// several) can never spend the same cash twice.
public actor PaperBroker: Broker {
    public nonisolated let name = "paper"
    private let ledger: any PaperBrokerLedger
    private let quoteSource: any QuoteSource
    private let costs: PaperExecutionCosts
    private let clock: any KeelClock

    public init(ledger: any PaperBrokerLedger, quoteSource: any QuoteSource, costs: PaperExecutionCosts, clock: any KeelClock) {
        self.ledger = ledger
        self.quoteSource = quoteSource
        self.costs = costs
        self.clock = clock
    }

    public func openAccount(accountID: String, openingCash: Decimal) async throws {
        try await ledger.openAccount(accountID: accountID, openingCash: openingCash, at: clock.now())
    }

    public func accountSnapshot(accountID: String) async throws -> BrokerAccountSnapshot {
        guard let opening = try await ledger.openingCash(accountID: accountID) else {
            throw BrokerError.unknownAccount(accountID)
        }
        return Self.snapshot(accountID: accountID, openingCash: opening, orders: try await ledger.orders(accountID: accountID))
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
        let quote = request.quantity > 0 && request.orderType == .market
            ? try await quoteSource.latestQuotes(symbols: [request.symbol])[request.symbol] : nil
        let now = clock.now()
        let orderID = "PAPER-" + UUID().uuidString.lowercased()
        let costs = self.costs
        let placed = try await ledger.placeOrder(accountID: request.accountID, clientOrderKey: request.clientOrderKey) { openingCash, orders in
            Self.decide(request, quote: quote, account: Self.snapshot(accountID: request.accountID, openingCash: openingCash, orders: orders),
                        costs: costs, orderID: orderID, now: now)
        }
        guard let placed else { throw BrokerError.unknownAccount(request.accountID) }
        return placed
    }

    /// Fills a market order at once, or rejects it as a broker would: no overdraft, no short selling.
    static func decide(_ request: BrokerOrderRequest, quote: BrokerQuote?, account: BrokerAccountSnapshot, costs: PaperExecutionCosts,
                       orderID: String, now: Date) -> BrokerOrder {
        func rejected(_ reason: String) -> BrokerOrder {
            BrokerOrder(brokerOrderID: orderID, clientOrderKey: request.clientOrderKey, symbol: request.symbol, side: request.side,
                        quantity: request.quantity, status: .rejected, fills: [], rejectReason: reason, createdAt: now)
        }
        guard request.quantity > 0 else { return rejected("quantity must be positive") }
        guard request.orderType == .market else { return rejected("the paper broker fills market orders only") }
        guard let quote else { return rejected("no price for \(request.symbol)") }
        let price = costs.fillPrice(last: quote.last, side: request.side)
        let notional = request.quantity * price
        let commission = costs.commission(notional: notional)
        let held = account.positions.first { $0.symbol == request.symbol }?.quantity ?? 0
        if request.side == .buy, notional + commission > account.cash {
            return rejected("insufficient cash: needs \((notional + commission).roundedToCents), has \(account.cash.roundedToCents)")
        }
        if request.side == .sell, request.quantity > held {
            return rejected("insufficient position: selling \(request.quantity) \(request.symbol), holding \(held)")
        }
        let fill = BrokerFill(fillID: orderID + "-1", clientOrderKey: request.clientOrderKey, symbol: request.symbol,
                              side: request.side, quantity: request.quantity, price: price, commission: commission, time: now)
        return BrokerOrder(brokerOrderID: orderID, clientOrderKey: request.clientOrderKey, symbol: request.symbol,
                           side: request.side, quantity: request.quantity, status: .filled, fills: [fill], createdAt: now)
    }

    public func order(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder? {
        try await ledger.order(accountID: accountID, clientOrderKey: reference.clientOrderKey)
    }

    public func cancelOrder(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder {
        guard let order = try await ledger.order(accountID: accountID, clientOrderKey: reference.clientOrderKey) else {
            throw BrokerError.rejected("no order with client order key \(reference.clientOrderKey)")
        }
        // Paper market orders are final the moment they are placed; there is never anything left to cancel.
        throw BrokerError.rejected("order \(order.brokerOrderID) is already \(order.status.rawValue)")
    }

    public func orders(accountID: String) async throws -> [BrokerOrder] {
        try await ledger.orders(accountID: accountID)
    }

    public func transactions(accountID: String) async throws -> [BrokerFill] {
        try await ledger.orders(accountID: accountID).flatMap(\.fills).sorted { $0.time < $1.time }
    }

    /// Cash and positions implied by the opening cash and every fill, in order.
    static func snapshot(accountID: String, openingCash: Decimal, orders: [BrokerOrder]) -> BrokerAccountSnapshot {
        var cash = openingCash
        var quantity: [String: Decimal] = [:]
        var cost: [String: Decimal] = [:]
        for fill in orders.flatMap(\.fills).sorted(by: { $0.time < $1.time }) {
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
        let positions = quantity.filter { $0.value != 0 }.map { symbol, q in
            BrokerPosition(symbol: symbol, quantity: q, averageCost: (cost[symbol, default: 0] / q).rounded(scale: 6))
        }.sorted { $0.symbol < $1.symbol }
        return BrokerAccountSnapshot(accountID: accountID, cash: cash.roundedToCents, positions: positions)
    }
}
