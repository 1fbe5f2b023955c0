import Foundation

/// The paper broker's own books (accounts and orders), kept apart from Keel's ledger exactly as a real
/// broker's are, so reconciliation compares two independent records.
public protocol PaperBrokerLedger: Sendable {
    func openAccount(accountID: String, openingCash: Decimal, at time: Date) async throws
    func openingCash(accountID: String) async throws -> Decimal?
    /// Stores `order` unless an order with the same client order key exists; returns the stored order.
    func insertOrderIfAbsent(accountID: String, order: BrokerOrder) async throws -> BrokerOrder
    func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder?
    func orders(accountID: String) async throws -> [BrokerOrder]
}
