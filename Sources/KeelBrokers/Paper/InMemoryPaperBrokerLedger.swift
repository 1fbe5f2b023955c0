import Foundation

/// Paper books held in memory: for unit tests and throwaway simulations.
public actor InMemoryPaperBrokerLedger: PaperBrokerLedger {
    private var cash: [String: Decimal] = [:]
    private var ordersByAccount: [String: [BrokerOrder]] = [:]

    public init() {}

    public func openAccount(accountID: String, openingCash: Decimal, at time: Date) {
        if cash[accountID] == nil { cash[accountID] = openingCash }
    }

    public func openingCash(accountID: String) -> Decimal? { cash[accountID] }

    public func placeOrder(accountID: String, clientOrderKey: String,
                           decide: @escaping @Sendable (Decimal, [BrokerOrder]) -> BrokerOrder) -> BrokerOrder? {
        if let existing = ordersByAccount[accountID]?.first(where: { $0.clientOrderKey == clientOrderKey }) { return existing }
        guard let opening = cash[accountID] else { return nil }
        // No suspension point between reading the books and storing: the actor runs this as one step.
        let order = decide(opening, ordersByAccount[accountID] ?? [])
        ordersByAccount[accountID, default: []].append(order)
        return order
    }

    public func updateOrders(accountID: String, change: @escaping @Sendable (Decimal, [BrokerOrder]) -> [BrokerOrder]) {
        guard let opening = cash[accountID], let orders = ordersByAccount[accountID] else { return }
        for changed in change(opening, orders) {
            if let index = ordersByAccount[accountID]?.firstIndex(where: { $0.clientOrderKey == changed.clientOrderKey }) {
                ordersByAccount[accountID]?[index] = changed
            }
        }
    }

    public func order(accountID: String, clientOrderKey: String) -> BrokerOrder? {
        ordersByAccount[accountID]?.first { $0.clientOrderKey == clientOrderKey }
    }

    public func orders(accountID: String) -> [BrokerOrder] { ordersByAccount[accountID] ?? [] }
}
