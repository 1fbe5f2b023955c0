import Foundation
import KeelCore

/// What Keel needs from any broker. Every call that places or changes an order carries Keel's own
/// client order key, so a retried call can be recognised and never executed twice.
public protocol Broker: Sendable {
    var name: String { get }
    func accountSnapshot(accountID: String) async throws -> BrokerAccountSnapshot
    func quotes(symbols: [String]) async throws -> [String: BrokerQuote]
    /// Places an order; placing the same client order key again returns the existing order.
    func placeOrder(_ request: BrokerOrderRequest) async throws -> BrokerOrder
    /// The order with this client order key, or nil when the broker never received it.
    func order(accountID: String, clientOrderKey: String) async throws -> BrokerOrder?
    func cancelOrder(accountID: String, clientOrderKey: String) async throws -> BrokerOrder
    func orders(accountID: String) async throws -> [BrokerOrder]
    func transactions(accountID: String) async throws -> [BrokerFill]
}
