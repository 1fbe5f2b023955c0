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
    /// Changes the account's open orders as one step, like `placeOrder`: `change` gets the opening cash and every
    /// stored order and returns the orders that changed (stored as returned).
    func updateOrders(accountID: String,
                      change: @escaping @Sendable (_ openingCash: Decimal, _ orders: [BrokerOrder]) -> [BrokerOrder]) async throws
    func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder?
    func orders(accountID: String) async throws -> [BrokerOrder]
}
