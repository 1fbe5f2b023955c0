import Foundation
import KeelCore
import KeelML
import Testing

@Suite("Features")
struct FeatureBuilderTests {
    let start = ISO8601DateFormatter().date(from: "2023-01-02T00:00:00Z")!

    func market(seed: UInt64) -> [BarSeries] {
        let assets = ["AAPL", "MSFT", "JNJ", "TLT"].compactMap { ReferenceInstruments.entry(for: $0)?.simulatedAsset }
        let bars = MarketSimulator(configuration: .init(seed: seed, start: start, calendarDays: 500)).simulate(assets).bars
        return assets.compactMap { bars[$0.symbol] }
    }

    @Test("changing future bars or later fundamentals never changes an earlier feature")
    func pointInTime() throws {
        let histories = market(seed: 5)
        let cut = start.addingTimeInterval(400 * 86_400)
        let fundamentals = [FundamentalPoint(symbol: "AAPL", publishedAt: start.addingTimeInterval(300 * 86_400), peRatio: 20, dividendYield: 0.01,
                                             marketCap: 2e12, priceToBook: 30)]
        let late = fundamentals + [FundamentalPoint(symbol: "AAPL", publishedAt: cut.addingTimeInterval(86_400), peRatio: 99, dividendYield: 0.5,
                                                    marketCap: 1e9, priceToBook: 1)]
        // Another future: after the cut, every symbol follows a different simulated path.
        let other = market(seed: 6)
        let altered = zip(histories, other).map { mine, theirs -> BarSeries in
            var series = mine.truncated(through: cut)
            for i in 0..<theirs.count where theirs.timestamps[i] > cut {
                series.append(timestamp: theirs.timestamps[i], open: theirs.open[i], high: theirs.high[i], low: theirs.low[i],
                              close: theirs.close[i], volume: theirs.volume[i])
            }
            return series
        }
        let before = FeatureBuilder().build(histories, fundamentals: fundamentals).filter { $0.date <= cut }
        let after = FeatureBuilder().build(altered, fundamentals: late).filter { $0.date <= cut }
        #expect(before.count == after.count && before.count > 1000)
        let index = Dictionary(uniqueKeysWithValues: after.map { ("\($0.symbol)|\($0.date)", $0.values) })
        for row in before {
            let other = try #require(index["\(row.symbol)|\(row.date)"])
            #expect(zip(row.values, other).allSatisfy { $0.isNaN && $1.isNaN || $0 == $1 }, "\(row.symbol) \(row.date)")
        }
    }

    @Test("fundamentals apply from their publication day, ranks lie in [0, 1]")
    func fundamentalsAndRanks() throws {
        let histories = market(seed: 9)
        let published = start.addingTimeInterval(200 * 86_400)
        let rows = FeatureBuilder().build(histories, fundamentals: [FundamentalPoint(symbol: "MSFT", publishedAt: published, peRatio: 31,
                                                                                   dividendYield: 0.008, marketCap: 3e12, priceToBook: 12)])
        let pe = try #require(FeatureBuilder.names.firstIndex(of: "pe_ratio"))
        let msft = rows.filter { $0.symbol == "MSFT" }
        #expect(msft.filter { $0.date < published }.allSatisfy { $0.values[pe].isNaN })
        #expect(msft.filter { $0.date >= published }.allSatisfy { $0.values[pe] == 31 })
        let rank = try #require(FeatureBuilder.names.firstIndex(of: "rank_ret_21d"))
        let ranks = rows.map { $0.values[rank] }.filter { !$0.isNaN }
        #expect(!ranks.isEmpty && ranks.allSatisfy { (0...1).contains($0) })
    }
}
