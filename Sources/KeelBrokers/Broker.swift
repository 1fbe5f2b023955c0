import Foundation
import KeelCore

/// What Keel needs from any broker. Every call that places or changes an order carries Keel's own
/// client order key, so a retried call can be recognised and never executed twice.
public protocol Broker: Sendable {
    var name: String { get }
    func accountSnapshot(accountID: String) async throws -> BrokerAccountSnapshot
    /// Latest prices, read in the context of an account (Schwab needs that account's login).
    func quotes(symbols: [String], accountID: String) async throws -> [String: BrokerQuote]
    /// Places an order; placing the same client order key again returns the existing order.
    func placeOrder(_ request: BrokerOrderRequest) async throws -> BrokerOrder
    /// The order behind this intent, or nil when the broker never received it. Brokers without client order
    /// ids (Schwab) find it by its broker id or by matching the intent in the time window it was sent in.
    func order(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder?
    func cancelOrder(accountID: String, reference: BrokerOrderReference) async throws -> BrokerOrder
    func orders(accountID: String) async throws -> [BrokerOrder]
    func transactions(accountID: String) async throws -> [BrokerFill]
    /// The account's trades in the broker's own history from `start` (what built the positions it brought to Keel).
    func tradeHistory(accountID: String, from start: Date) async throws -> [HistoricalTrade]
}

extension Broker {
    /// A broker whose positions only ever come from Keel's own fills (the paper broker) has no other history.
    public func tradeHistory(accountID: String, from start: Date) async throws -> [HistoricalTrade] {
        throw BrokerError.notSupported("\(name) keeps no trade history beyond Keel's own orders")
    }
}
