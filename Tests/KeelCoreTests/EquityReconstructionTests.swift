import Foundation
import KeelCore
import Testing

@Suite("Equity since inception")
struct EquityReconstructionTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000 - 1_700_000_000.truncatingRemainder(dividingBy: 86_400))
    static func day(_ n: Int) -> Date { start.addingTimeInterval(Double(n) * 86_400) }

    @Test func cashAndHoldingsAreRebuiltDayByDayAndEndOnTodaysBook() {
        // 10,000 cash; day 1 buys 10 @ 100 (+1 commission); day 3 sells 5 @ 120.
        let fills = [EquityReconstruction.Fill(at: Self.day(1).addingTimeInterval(3_600), symbol: "AAA", quantity: 10, price: 100, commission: 1),
                     EquityReconstruction.Fill(at: Self.day(3).addingTimeInterval(3_600), symbol: "AAA", quantity: -5, price: 120, commission: 0)]
        let todaysCash = 10_000 - 1_001 + 600.0
        let starting = EquityReconstruction.startingCash(currentCash: todaysCash, fills: fills)
        #expect(starting == 10_000)
        let closes = ["AAA": [(Self.day(1), 100.0), (Self.day(2), 90.0), (Self.day(3), 120.0)].map { (date: $0.0, close: $0.1) }]
        let curve = EquityReconstruction.curve(currentCash: todaysCash, holdings: ["AAA": 5], fills: fills, closes: closes, days: (0...4).map(Self.day))
        #expect(curve.map(\.value) == [10_000, 9_999, 9_899, 10_199, 10_199], "day 4 has no bar: the last close holds")
        #expect(curve[0].drawdown == 0 && abs(curve[2].drawdown - (9_899.0 / 10_000 - 1)) < 1e-12)
        #expect(todaysCash + 5 * 120 == curve.last?.value, "the curve ends on the book as it stands")
    }

    @Test func holdingsKeelNeverTradedCountFromTheStart() {
        // Linked with 10 BBB already held and 1,000 cash; Keel then bought 2 BBB at 50 on day 1.
        let fills = [EquityReconstruction.Fill(at: Self.day(1), symbol: "BBB", quantity: 2, price: 50, commission: 0)]
        let closes = ["BBB": [(Self.day(0), 40.0), (Self.day(1), 50.0), (Self.day(2), 60.0)].map { (date: $0.0, close: $0.1) }]
        let curve = EquityReconstruction.curve(currentCash: 900, holdings: ["BBB": 12], fills: fills, closes: closes, days: (0...2).map(Self.day))
        #expect(curve.map(\.value) == [1_400.0, 1_500.0, 1_620.0], "the ten held before are in the curve; it ends on today's book")
        let sold = EquityReconstruction.curve(currentCash: 1_000, holdings: [:], fills: fills, closes: closes, days: [Self.day(0)])
        #expect(sold.map(\.value) == [1_100], "a quantity that would be negative (sold outside Keel) counts as nothing")
    }

    @Test func safeOnNoFillsNoClosesAndNonFiniteInput() {
        #expect(EquityReconstruction.curve(currentCash: 5, holdings: [:], fills: [], closes: [:], days: []).isEmpty)
        #expect(EquityReconstruction.curve(currentCash: .nan, holdings: [:], fills: [], closes: [:], days: [Self.day(0)]).isEmpty)
        let hostile = [EquityReconstruction.Fill(at: Self.day(0), symbol: "X", quantity: .infinity, price: 1, commission: 0),
                       EquityReconstruction.Fill(at: Self.day(0), symbol: "Y", quantity: 1, price: 50, commission: 0)]
        let curve = EquityReconstruction.curve(currentCash: 50, holdings: ["Y": 1, "X": .infinity], fills: hostile, closes: ["Y": [(date: Self.day(0), close: .nan)]],
                                               days: [Self.day(0), Self.day(1)])
        #expect(curve.map(\.value) == [100, 100], "a non-finite fill or holding is skipped; a NaN close keeps the fill price")
        #expect(curve.allSatisfy { $0.value.isFinite && $0.drawdown.isFinite })
    }
}
