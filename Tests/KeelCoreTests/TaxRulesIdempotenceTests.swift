import Foundation
import KeelCore
import Testing

/// The harvesting path runs the tax rules a second time on their own result (`TaxPlan`), so the rules must leave
/// their own result as it is: otherwise an account that enables harvesting would be planned differently even when
/// nothing is harvested.
@Suite("Tax rules on their own result")
struct TaxRulesIdempotenceTests {
    @Test func theRulesAppliedToTheirOwnResultChangeNothing() throws {
        var generator = SeededGenerator(seed: 5)
        let symbols = ["A", "B", "C", "D", "E"]
        let today = CivilDay(year: 2024, month: 6, day: 3)
        for trial in 0..<2_000 {
            // Random books: up to three lots a name bought over the last 500 days (gains and losses, short and long
            // term, some inside the wash-sale window), and on half the names a loss sold in the last 40 days.
            var book = TaxLotBook()
            var held: [String: Decimal] = [:]
            var prices: [String: Decimal] = [:]
            for symbol in symbols {
                prices[symbol] = Decimal(Int.random(in: 50...150, using: &generator))
                for lot in 0..<Int.random(in: 0...3, using: &generator) {
                    let quantity = Decimal(Int.random(in: 1...100, using: &generator))
                    try book.buy(lotID: "\(symbol)\(lot)", symbol: symbol, quantity: quantity, price: Decimal(Int.random(in: 50...150, using: &generator)),
                                 fees: 0, on: today.adding(days: -Int.random(in: 1...500, using: &generator)))
                    held[symbol, default: 0] += quantity
                }
                if Bool.random(using: &generator) {
                    let day = today.adding(days: -Int.random(in: 1...40, using: &generator))
                    try book.buy(lotID: "\(symbol)x", symbol: symbol, quantity: 10, price: 200, fees: 0, on: day.adding(days: -400))
                    try book.sell(saleID: "\(symbol)s", symbol: symbol, quantity: 10, price: 100, fees: 0, on: day, method: .specific(["\(symbol)x"]))
                }
            }
            let snapshot = PortfolioSnapshot(cash: Decimal(Int.random(in: 0...5_000, using: &generator)),
                                             holdings: held.map { Holding(symbol: $0.key, quantity: $0.value, averageCost: 0) }, prices: prices)
            var targets: [String: Double] = [:]
            for symbol in symbols where Bool.random(using: &generator) { targets[symbol] = Double.random(in: 0.05...0.3, using: &generator) }
            let first = TaxAwareRebalance.adjust(targets: targets, snapshot: snapshot, book: book, on: today, settings: .init())
            let second = TaxAwareRebalance.adjust(targets: first.targets, snapshot: snapshot, book: book, on: today, settings: .init())
            for symbol in Set(first.targets.keys).union(second.targets.keys) {
                #expect(abs((first.targets[symbol] ?? 0) - (second.targets[symbol] ?? 0)) < 1e-12,
                        "trial \(trial), \(symbol): \(first.targets) then \(second.targets) (\(second.reasons))")
            }
        }
    }
}
