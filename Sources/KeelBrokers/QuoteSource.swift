import Foundation

/// Where the paper broker (and the risk checks) read the latest price of a symbol.
public protocol QuoteSource: Sendable {
    func latestQuotes(symbols: [String]) async throws -> [String: BrokerQuote]
}
