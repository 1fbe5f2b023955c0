import Foundation

/// The paper broker's own books (accounts and orders), kept apart from Keel's ledger exactly as a real
/// broker's are, so reconciliation compares two independent records.
public protocol PaperBrokerLedger: Sendable {
    func openAccount(accountID: String, openingCash: Decimal, at time: Date) async throws
    func openingCash(accountID: String) async throws -> Decimal?
    /// Decides an order on the account's books and stores it, as one step that no other order of the account
    /// can interleave with (so two orders can never both spend the same cash). An order with the same client
    /// order key is returned as stored, undecided. `decide` gets the opening cash and every stored order;
    /// nil from `decide` means the account is unknown.
    func placeOrder(accountID: String, clientOrderKey: String,
                    decide: @escaping @Sendable (_ openingCash: Decimal, _ orders: [BrokerOrder]) -> BrokerOrder) async throws -> BrokerOrder?
    /// Decides many orders of many accounts as one step, each account's in the order given (every order decided
    /// on the books with the ones before it): `decide` gets the account, its opening cash, its stored orders and the
    /// client order key to decide. Orders already stored under a key are returned as stored; the orders of an
    /// unknown account are left out of the answer (by client order key).
    func placeOrders(_ keysByAccount: [(accountID: String, clientOrderKeys: [String])],
                     decide: @escaping @Sendable (_ accountID: String, _ openingCash: Decimal, _ orders: [BrokerOrder], _ clientOrderKey: String) -> BrokerOrder)
        async throws -> [String: BrokerOrder]
    /// Changes the account's open orders as one step, like `placeOrder`: `change` gets the opening cash and every
    /// stored order and returns the orders that changed (stored as returned).
    func updateOrders(accountID: String,
                      change: @escaping @Sendable (_ openingCash: Decimal, _ orders: [BrokerOrder]) -> [BrokerOrder]) async throws
    func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder?
    func orders(accountID: String) async throws -> [BrokerOrder]
}

extension PaperBrokerLedger {
    /// One order at a time, each its own step: for books kept in memory, where a step costs nothing.
    public func placeOrders(_ keysByAccount: [(accountID: String, clientOrderKeys: [String])],
                            decide: @escaping @Sendable (String, Decimal, [BrokerOrder], String) -> BrokerOrder) async throws -> [String: BrokerOrder] {
        var placed: [String: BrokerOrder] = [:]
        for (accountID, keys) in keysByAccount {
            for key in keys {
                placed[key] = try await placeOrder(accountID: accountID, clientOrderKey: key) { decide(accountID, $0, $1, key) }
            }
        }
        return placed
    }
}
