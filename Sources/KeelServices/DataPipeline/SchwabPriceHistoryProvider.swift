import Foundation
import KeelBrokers
import KeelCore

/// Daily price history from Schwab's Market Data API, read with a linked client's login.
public struct SchwabPriceHistoryProvider: MarketDataProvider {
    public let clientID: Int
    public let symbols: [String]
    /// Years of history per symbol: one of Schwab's periods (1, 2, 3, 5, 10, 15, 20).
    public let years: Int
    let schwab: SchwabLinkService

    public init(clientID: Int, symbols: [String], years: Int, schwab: SchwabLinkService) {
        self.clientID = clientID
        self.symbols = symbols.map { $0.uppercased() }
        self.years = years
        self.schwab = schwab
    }

    public var descriptor: ProviderDescriptor { .schwab(clientID: clientID, symbols: symbols, years: years) }

    public func items() async throws -> [ProviderItem] {
        guard [1, 2, 3, 5, 10, 15, 20].contains(years) else { throw ProviderError("years must be one of Schwab's periods: 1, 2, 3, 5, 10, 15, 20") }
        guard !symbols.isEmpty else { throw ProviderError("give the symbols to fetch from Schwab") }
        return symbols.map { ProviderItem(symbol: $0, interval: "1d", location: "schwab") }
    }

    public func fetchBars(_ item: ProviderItem) async throws -> FetchedBars {
        let history: SchwabCandleList
        do {
            let token = try await schwab.tokens.accessToken(clientID: clientID)
            history = try await schwab.client.priceHistory(accessToken: token, symbol: item.symbol, periodType: "year", period: years,
                                                           frequencyType: "daily", frequency: 1)
        } catch {
            throw ProviderError("Schwab price history of \(item.symbol): \(error)")
        }
        var series = BarSeries(symbol: item.symbol)
        series.reserveCapacity(history.candles.count)
        // Daily candles are stamped at midnight Chicago time, i.e. 05:00 or 06:00 UTC of the same date.
        for candle in history.candles.sorted(by: { $0.datetime < $1.datetime }) {
            let day = CivilDay(Date(timeIntervalSince1970: Double(candle.datetime) / 1000))
            series.append(timestamp: day.date, open: candle.open, high: candle.high, low: candle.low, close: candle.close, volume: candle.volume)
        }
        return FetchedBars(series: series, adjustedClose: [Double](repeating: .nan, count: series.count), intraday: false)
    }

    public func fetchFundamentals(_ item: ProviderItem) async throws -> FetchedFundamentals {
        throw ProviderError("Schwab's price history provides no fundamentals")
    }
}
