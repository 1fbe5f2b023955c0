import Foundation
import KeelCore
import Testing

@Suite("Opening lots from a broker's history")
struct OpeningLotsTests {
    static let today = CivilDay(year: 2026, month: 12, day: 7)

    static func trade(_ id: String, _ side: OrderSide, _ quantity: Decimal, at price: Decimal, daysAgo: Int, fees: Decimal = 0,
                      symbol: String = "SPY") -> HistoricalTrade {
        HistoricalTrade(tradeID: id, orderID: "o\(id)", symbol: symbol, side: side, quantity: quantity, price: price, fees: fees,
                        day: CivilDay(number: today.number - daysAgo))
    }

    static func lots(_ history: [HistoricalTrade], missing: Decimal, held: Decimal, averageCost: Decimal) -> [TaxLot] {
        OpeningLots.lots(symbol: "SPY", missing: missing, position: Holding(symbol: "SPY", quantity: held, averageCost: averageCost),
                         openedOn: today, history: history, lotPrefix: "h-")
    }

    @Test func theHistoryReplayedFirstInFirstOutGivesThePositionsLots() {
        let history = [Self.trade("1", .buy, 80, at: 450, daysAgo: 400), Self.trade("2", .sell, 20, at: 500, daysAgo: 300, fees: 1),
                       Self.trade("3", .buy, 40, at: 525, daysAgo: 100, fees: 2), Self.trade("9", .buy, 999, at: 1, daysAgo: 5, symbol: "QQQ")]
        let lots = Self.lots(history, missing: 100, held: 100, averageCost: 480)
        #expect(lots.map(\.lotID) == ["h-3", "h-1"])
        #expect(lots.map(\.quantity) == [40, 60])
        #expect(lots.map(\.costBasis) == [21_002, 27_000], "fees join the basis; the sold 20 leave the first lot")
        #expect(lots.map { Self.today.number - $0.acquiredOn.number } == [100, 400])
    }

    @Test func sharesTheHistoryDoesNotExplainKeepWhatTheAverageLeavesThem() {
        // 10 of 20 explained at 400; Schwab's average 380 over 20 leaves 3,600 for the other 10.
        let lots = Self.lots([Self.trade("1", .buy, 10, at: 400, daysAgo: 60)], missing: 20, held: 20, averageCost: 380)
        #expect(lots.map(\.quantity) == [10, 10])
        #expect(lots.last?.costBasis == 3_600 && lots.last?.acquiredOn == Self.today && lots.last?.basisKnown == true)
        // No average from the broker: the rest has an unknown basis.
        let unknown = Self.lots([Self.trade("1", .buy, 10, at: 400, daysAgo: 60)], missing: 20, held: 20, averageCost: 0)
        #expect(unknown.last?.basisKnown == false && unknown.last?.costBasis == 0)
        // Keel already holds lots of the name (missing < position): the rest at the average itself.
        let partly = Self.lots([], missing: 5, held: 20, averageCost: 380)
        #expect(partly.map(\.costBasis) == [1_900])
    }

    @Test func onlyTheNewestLotsUpToTheMissingSharesAndSalesBeyondTheHistoryAreClamped() {
        // The history sells 30 it never bought (bought before it starts): only its own 10 are sold.
        let history = [Self.trade("1", .buy, 10, at: 100, daysAgo: 90), Self.trade("2", .sell, 30, at: 120, daysAgo: 80),
                       Self.trade("3", .buy, 50, at: 110, daysAgo: 70), Self.trade("4", .buy, 50, at: 130, daysAgo: 10)]
        let lots = Self.lots(history, missing: 60, held: 60, averageCost: 120)
        #expect(lots.map(\.lotID) == ["h-4", "h-3"])
        #expect(lots.map(\.quantity) == [50, 10])
        #expect(lots.map(\.costBasis) == [6_500, 1_100], "the older lot cut pro rata")
    }

    @Test func aWashSaleInsideTheHistoryCarriesItsLossToTheReplacement() {
        // Bought 10 at 100, sold at 80 (a 200 loss), bought back 10 at 85 within 30 days: the lot's basis is 850 + 200.
        let history = [Self.trade("1", .buy, 10, at: 100, daysAgo: 100), Self.trade("2", .sell, 10, at: 80, daysAgo: 50),
                       Self.trade("3", .buy, 10, at: 85, daysAgo: 40)]
        let lots = Self.lots(history, missing: 10, held: 10, averageCost: 85)
        #expect(lots.count == 1 && lots.first?.costBasis == 1_050 && lots.first?.washAdjustment == 200)
        #expect(lots.first.map { $0.heldSince < $0.acquiredOn } == true, "the holding period carried over")
    }

    @Test func nothingMissingNothingMade() {
        #expect(Self.lots([Self.trade("1", .buy, 10, at: 100, daysAgo: 9)], missing: 0, held: 10, averageCost: 100).isEmpty)
    }
}
