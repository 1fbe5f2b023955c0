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
        let curve = EquityReconstruction.curve(startingCash: starting, fills: fills, closes: closes, days: (0...4).map(Self.day))
        #expect(curve.map(\.value) == [10_000, 9_999, 9_899, 10_199, 10_199], "day 4 has no bar: the last close holds")
        #expect(curve[0].drawdown == 0 && abs(curve[2].drawdown - (9_899.0 / 10_000 - 1)) < 1e-12)
        #expect(todaysCash + 5 * 120 == curve.last?.value, "the curve ends on the book as it stands")
    }

    @Test func safeOnNoFillsNoClosesAndNonFiniteInput() {
        #expect(EquityReconstruction.curve(startingCash: 5, fills: [], closes: [:], days: []).isEmpty)
        #expect(EquityReconstruction.curve(startingCash: .nan, fills: [], closes: [:], days: [Self.day(0)]).isEmpty)
        let hostile = [EquityReconstruction.Fill(at: Self.day(0), symbol: "X", quantity: .infinity, price: 1, commission: 0),
                       EquityReconstruction.Fill(at: Self.day(0), symbol: "Y", quantity: 1, price: 50, commission: 0)]
        let curve = EquityReconstruction.curve(startingCash: 100, fills: hostile, closes: ["Y": [(date: Self.day(0), close: .nan)]], days: [Self.day(0), Self.day(1)])
        #expect(curve.map(\.value) == [100, 100], "a non-finite fill is skipped; a NaN close keeps the fill price")
        #expect(curve.allSatisfy { $0.value.isFinite && $0.drawdown.isFinite })
    }
}
