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
        return prices.mapValues { price in
            BrokerQuote(symbol: price.symbol, last: Decimal(exactly: price.close), time: price.timestamp,
                        volume: price.volume.flatMap { $0.isFinite && $0 >= 0 ? Decimal(exactly: $0.rounded()) : nil },
                        assetClass: price.assetClass.flatMap(AssetClass.init(rawValue:)))
        }
    }
}
