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

    public func insertOrderIfAbsent(accountID: String, order: BrokerOrder) -> BrokerOrder {
        if let existing = ordersByAccount[accountID]?.first(where: { $0.clientOrderKey == order.clientOrderKey }) {
            return existing
        }
        ordersByAccount[accountID, default: []].append(order)
        return order
    }

    public func order(accountID: String, clientOrderKey: String) -> BrokerOrder? {
        ordersByAccount[accountID]?.first { $0.clientOrderKey == clientOrderKey }
    }

    public func orders(accountID: String) -> [BrokerOrder] { ordersByAccount[accountID] ?? [] }
}
