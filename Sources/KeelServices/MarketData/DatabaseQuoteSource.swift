import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Latest prices from stored bars: what the paper broker fills at and what risk checks compare against.
public struct DatabaseQuoteSource: QuoteSource {
    let database: KeelDatabase

    public init(database: KeelDatabase) {
        self.database = database
    }

    public func latestQuotes(symbols: [String]) async throws -> [String: BrokerQuote] {
        let prices = try await database.read { try await $0.marketBars.latestPrices(symbols: symbols) }
        return prices.mapValues { BrokerQuote(symbol: $0.symbol, last: Decimal(exactly: $0.close), time: $0.timestamp) }
    }
}
