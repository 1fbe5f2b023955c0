import Foundation
import KeelCore
import KeelServices
import KeelTestSupport
import Testing

/// The real wide matrices in `../shared/data/market/prices_wide/` read as one daily series per column.
@Suite("Wide price matrices from the market data", .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
struct WidePriceMatrixTests {
    @Test("the 20-stock matrix gives 20 daily series, each of its column's non-empty closes; --symbol keeps one")
    func twentyStocks() async throws {
        let file = MarketDataFiles.path("prices_wide/skfolio_sp500_20stocks_adjclose.csv")
        let items = try await CSVMarketDataProvider(path: file).items()
        #expect(items.count == 20 && items.allSatisfy { $0.kind == .bars && $0.interval == "1d" })
        #expect(items.map(\.symbol).prefix(3) == ["AAPL", "AMD", "BAC"])
        let apple = try await CSVMarketDataProvider(path: file).fetchBars(try #require(items.first))
        let rows = try String(contentsOfFile: file, encoding: .utf8).split(whereSeparator: \.isNewline).dropFirst()
            .filter { $0.split(separator: ",", omittingEmptySubsequences: false)[1] != "" }
        #expect(apple.series.count == rows.count && apple.series.count > 8_000)
        #expect(apple.series.timestamps.first == CivilDay(year: 1990, month: 1, day: 2).date && apple.series.close.first == 0.264)
        #expect(apple.adjustedClose == apple.series.close && !apple.intraday)
        let one = try await CSVMarketDataProvider(path: file, symbolOverride: "msft").items()
        #expect(one.map(\.symbol) == ["MSFT"])
        await #expect(throws: ProviderError.self) { try await CSVMarketDataProvider(path: file, symbolOverride: "IBM").items() }
    }
}
