import Foundation
@testable import KeelCore
import Testing

@Suite("Rebalance kernel")
struct RebalanceKernelTests {
    @Test func aWholeNumberOfLotsInDecimalIsNotOneShortInBinary() {
        // 0.3 x 1000 / 100 is 2.9999999999999996 in binary: the lot tolerance buys the three shares.
        let book = RebalanceKernel.Book(accounts: 1, assets: 1, quantities: [0], cash: [1_000], prices: [100], increments: [1], targets: [0.3])
        let orders = RebalanceKernel.plan(book, settings: .init(minimumOrderNotional: 0, buyCostBuffer: 0))
        #expect(orders.quantities == [3])
        #expect(orders.outcomes == [.order])
    }

    /// The kernel compares x * 100 + 0.5 with a whole number of cents instead of rounding x to cents: the same answer
    /// for every notional, at and around each minimum's boundary.
    @Test func theCentsThresholdIsTheRoundedCentsRule() {
        var generator = SeededGenerator(seed: 9)
        for minimum in [0.01, 0.1, 0.3, 1, 9.995, 10, 10.005, 12.34, 99.99, 1_000, 1e9, 0, -5] {
            let threshold = RebalanceKernel.minimumInCents(minimum)
            var amounts = [minimum, minimum.nextUp, minimum.nextDown, minimum - 0.005, minimum - 0.0050000001, minimum - 0.0049999999, 0.005, 1e-12]
            amounts += (0..<2_000).map { _ in max(0, minimum + (generator.nextUnit() - 0.5) * 0.04) }
            for amount in amounts where amount > 0 {
                #expect(RebalanceKernel.isWorthAnOrder(amount, threshold) == (Self.cents(amount) >= minimum),
                        "amount \(amount), minimum \(minimum)")
            }
        }
    }

    /// The rule itself: money rounded to cents, half away from zero (as the ledger rounds).
    static func cents(_ amount: Double) -> Double {
        (amount * 100 + 0.5).rounded(.down) / 100
    }

    @Test func noBuyAboveTheMaximumWeightAndNoSaleForIt() {
        // A: no holding, target 40%, cap 25%: buys to 25%. B: held at 30% (a tax rule keeps it there): not sold.
        let book = RebalanceKernel.Book(accounts: 1, assets: 2, quantities: [0, 300], cash: [7_000], prices: [10, 10], increments: [1, 1],
                                        targets: [0.4, 0.3])
        let orders = RebalanceKernel.plan(book, settings: .init(minimumOrderNotional: 0, buyCostBuffer: 0, maxWeight: 0.25))
        #expect(orders.quantities == [250, 0])
    }

    @Test func buysLeaveTheCashBufferButSalesAreNotForcedForIt() {
        // Fully invested in A with 0.5% cash; the targets (49.5% each) leave 1% cash. Buys shrink to leave 2%.
        let book = RebalanceKernel.Book(accounts: 1, assets: 2, quantities: [995, 0], cash: [50], prices: [10, 10], increments: [1, 1],
                                        targets: [0.495, 0.495])
        let orders = RebalanceKernel.plan(book, settings: .init(minimumOrderNotional: 0, buyCostBuffer: 0, cashBuffer: 0.02))
        let sold = -orders.quantities[0], bought = orders.quantities[1]
        #expect(sold == 500)
        #expect(bought == 485, "(50 + 5000 - 200) / 10, not the 495 the target asks")
        #expect(50 + sold * 10 - bought * 10 >= 0.02 * 10_000)
        // No buys: a cash shortfall alone sells nothing.
        let holding = RebalanceKernel.Book(accounts: 1, assets: 1, quantities: [995], cash: [50], prices: [10], increments: [1], targets: [0.995])
        #expect(RebalanceKernel.plan(holding, settings: .init(minimumOrderNotional: 0, buyCostBuffer: 0, cashBuffer: 0.02)).quantities == [0])
    }

    @Test func sharedTargetsPlanEachAccountAsItsOwnRow() {
        var generator = SeededGenerator(seed: 11)
        let book = Self.randomBook(accounts: 40, assets: 12, sharedTargets: true, using: &generator)
        let settings = RebalanceKernel.Settings(minimumOrderNotional: 25, driftThreshold: 0.01, buyCostBuffer: 0.005, maxWeight: 0.2, cashBuffer: 0.02)
        let together = RebalanceKernel.plan(book, settings: settings)
        for account in 0..<book.accounts {
            let row = account * book.assets..<(account + 1) * book.assets
            let alone = RebalanceKernel.plan(RebalanceKernel.Book(accounts: 1, assets: book.assets, quantities: Array(book.quantities[row]),
                                                                  cash: [book.cash[account]], prices: book.prices, increments: book.increments,
                                                                  targets: book.targets), settings: settings)
            #expect(alone.quantities == Array(together.quantities[row]))
            #expect(alone.outcomes == Array(together.outcomes[row]))
        }
    }

    /// The drift test without a division decides as the division does: on seeded values, on targets placed a few
    /// units in the last place either side of the threshold (where the reciprocal's rounding could flip it), and on
    /// infinities, NaN and zero drift.
    @Test func theDriftTestWithoutADivisionDecidesAsTheDivision() {
        var generator = SeededGenerator(seed: 8_128)
        var cases = 0, nearThreshold = 0
        func check(_ value: Double, _ total: Double, _ target: Double, _ drift: Double) {
            let exact = abs(value / total - target) < drift
            #expect(RebalanceKernel.isWithinDrift(value, total: total, inverseTotal: 1 / total, target: target, drift: drift) == exact,
                    "\(value) / \(total) vs \(target) ± \(drift)")
            cases += 1
        }
        for _ in 0..<200_000 {
            let total = 1_000 + 5e6 * generator.nextUnit() * generator.nextUnit()
            let value = total * generator.nextUnit() * 0.3
            let drift = [0, 0.005, 0.02, 1e-9][Int(generator.next() % 4)]
            let current = value / total
            check(value, total, generator.nextUnit() * 0.3, drift)
            // Targets at the threshold's edge: the current weight plus or minus the drift, nudged by a few ulps.
            var edge = current + (generator.next() % 2 == 0 ? drift : -drift)
            for _ in 0..<Int(generator.next() % 4) { edge = generator.next() % 2 == 0 ? edge.nextUp : edge.nextDown }
            if abs(abs(current - edge) - drift) <= 8 * max(current.ulp, drift.ulp) { nearThreshold += 1 }
            check(value, total, edge, drift)
        }
        for (value, total, target, drift) in [(1.0, 3.0, Double.infinity, 0.01), (1, 3, .nan, 0.01), (1, 3, 0.3, .nan), (0, 5, 0, 0), (1, 3, 1.0 / 3, 0),
                                              (1e300, 1e300, 1, 1e-300), (2, 7, 2.0 / 7 + 0.005, 0.005)] {
            check(value, total, target, drift)
        }
        #expect(cases > 400_000 && nearThreshold > 50_000, "the edge cases must be exercised: \(nearThreshold)")
    }

    /// On any book (empty accounts, unpriced names, NaN and negative inputs, huge and tiny values): every order is whole
    /// lots, sells never exceed holdings, buys never overdraw the cash after sells (cost buffer included) nor dip into the
    /// cash buffer, no buy passes the cap, and nothing is NaN.
    @Test func invariantsHoldOnAnyBook() {
        var generator = SeededGenerator(seed: 2_026)
        var orderCount = 0
        for trial in 0..<300 {
            let book = Self.randomBook(accounts: 1 + trial % 7, assets: 1 + trial % 13, sharedTargets: trial % 2 == 0, using: &generator,
                                       hostile: trial % 5 == 0)
            let settings = RebalanceKernel.Settings(minimumOrderNotional: [0, 10, 1_000][trial % 3], driftThreshold: [0, 0.02][trial % 2],
                                                    buyCostBuffer: [0, 0.005, 0.05][trial % 3], maxWeight: [1, 0.1, 0.3][trial % 3],
                                                    cashBuffer: [0, 0.02, 0.2][(trial / 3) % 3])
            let orders = RebalanceKernel.plan(book, settings: settings)
            for account in 0..<book.accounts {
                let row = account * book.assets
                var proceeds = 0.0, buying = 0.0
                for j in 0..<book.assets {
                    let quantity = orders.quantities[row + j], held = book.quantities[row + j], price = book.prices[j]
                    #expect(!quantity.isNaN)
                    guard quantity != 0 else { continue }
                    orderCount += 1
                    #expect(orders.outcomes[row + j] == .order)
                    let target = book.targets.count == book.assets ? book.targets[j] : book.targets[row + j]
                    if quantity < 0 {
                        #expect(-quantity <= held, "a sale of more than is held")
                        if target > 0 { #expect(Self.isWholeLots(-quantity, book.increments[j])) }
                        proceeds += -quantity * price
                    } else {
                        #expect(Self.isWholeLots(quantity, book.increments[j]))
                        #expect((held + quantity) * price <= max(settings.maxWeight, 0) * orders.portfolioValues[account] * (1 + 1e-9) + book.increments[j] * price,
                                "a buy above the cap")
                        buying += quantity * price
                    }
                }
                let cash = book.cash[account]
                guard cash.isFinite else {
                    #expect(buying == 0 && proceeds == 0, "an account whose cash is not a number is not planned")
                    continue
                }
                #expect(buying * (1 + settings.buyCostBuffer) <= max(cash + proceeds * (1 - settings.buyCostBuffer), 0) * (1 + 1e-9) + 1e-9)
                if buying > 0 {
                    #expect(cash + proceeds - buying >= settings.cashBuffer * orders.portfolioValues[account] - 1e-6 * max(1, abs(cash) + proceeds))
                }
            }
        }
        #expect(orderCount > 500, "the random books must trade to test anything: \(orderCount) orders")
    }

    /// The kernel decides as its rules written plainly (`PlainRebalanceRules`: the drift by division, lots by
    /// division and `rounded(.down)`, no shortcuts) on any book: quantities, outcomes and portfolio values bit for bit.
    /// Books of every width, shared and per-account targets, hostile values, and holdings placed a few units in the last
    /// place either side of the drift threshold, where the reciprocal's estimate must fall back to the division.
    @Test func theKernelPlansAsThePlainRules() {
        var generator = SeededGenerator(seed: 31_415)
        var compared = 0, orders = 0, nearThreshold = 0
        for trial in 0..<2_000 {
            var book = Self.randomBook(accounts: 1 + trial % 9, assets: 1 + trial % 13, sharedTargets: trial % 2 == 0, using: &generator,
                                       hostile: trial % 4 == 0)
            let drift = [0, 0.005, 0.02][trial % 3]
            if trial % 3 != 0, !book.targets.isEmpty {
                // Holdings whose weight lands at the threshold's edge of their target.
                for account in 0..<book.accounts {
                    let row = account * book.assets
                    let total = book.cash[account] + (0..<book.assets).reduce(0.0) { sum, j in
                        book.prices[j] > 0 ? sum + book.quantities[row + j] * book.prices[j] : sum
                    }
                    for j in 0..<book.assets where generator.nextUnit() < 0.3 && book.prices[j] > 0 && total > 0 && total.isFinite {
                        let target = book.targets[book.targets.count == book.assets ? j : row + j]
                        guard target > 0, target.isFinite else { continue }
                        var weight = target + (generator.next() % 2 == 0 ? drift : -drift)
                        for _ in 0..<Int(generator.next() % 4) { weight = generator.next() % 2 == 0 ? weight.nextUp : weight.nextDown }
                        book.targets[book.targets.count == book.assets ? j : row + j] = book.quantities[row + j] * book.prices[j] / total - (weight - target)
                        nearThreshold += 1
                    }
                }
            }
            let settings = RebalanceKernel.Settings(minimumOrderNotional: [0, 10, 1_000, 0.015][trial % 4], driftThreshold: drift,
                                                    buyCostBuffer: [0, 0.005, 0.05][trial % 3], maxWeight: [1, 0.1, 0.3, .infinity][trial % 4],
                                                    cashBuffer: [0, 0.02, 0.2][(trial / 3) % 3])
            let kernel = RebalanceKernel.plan(book, settings: settings), plain = PlainRebalanceRules.plan(book, settings: settings)
            let sameQuantities = zip(kernel.quantities, plain.quantities).allSatisfy { $0.bitPattern == $1.bitPattern }
            let sameValues = zip(kernel.portfolioValues, plain.portfolioValues).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
            #expect(sameQuantities && kernel.outcomes == plain.outcomes && sameValues,
                    "trial \(trial): \(kernel.quantities) \(kernel.outcomes) vs \(plain.quantities) \(plain.outcomes)")
            compared += kernel.quantities.count
            orders += plain.outcomes.filter { $0 == .order }.count
        }
        #expect(compared > 50_000 && orders > 5_000 && nearThreshold > 2_000, "\(compared) cells, \(orders) orders, \(nearThreshold) at the edge")
    }

    static func isWholeLots(_ quantity: Double, _ increment: Double) -> Bool {
        let lots = quantity / increment
        return abs(lots - lots.rounded()) <= 1e-6 * max(1, lots)
    }

    static func randomBook(accounts: Int, assets: Int, sharedTargets: Bool, using generator: inout SeededGenerator,
                           hostile: Bool = false) -> RebalanceKernel.Book {
        func pick(_ values: [Double]) -> Double { values[Int(generator.nextUnit() * Double(values.count)) % values.count] }
        let prices = (0..<assets).map { _ in hostile ? pick([0, -5, .nan, 1e-6, 3.7, 1e9]) : 1 + 500 * generator.nextUnit() }
        let increments = (0..<assets).map { _ in pick([1, 1, 0.000001, 0.01]) }
        let quantities = (0..<accounts * assets).map { _ in generator.nextUnit() < 0.4 ? 0 : (hostile ? pick([1e12, 0.5, -3, .nan, 7]) : (1_000 * generator.nextUnit()).rounded()) }
        let cash = (0..<accounts).map { _ in hostile ? pick([0, -1_000, 1e15, .nan, 10]) : 100_000 * generator.nextUnit() }
        let targets = (0..<(sharedTargets ? assets : accounts * assets)).map { _ in
            generator.nextUnit() < 0.3 ? 0 : (hostile ? pick([0.5, -1, .nan, 2, 1e-12]) : 2 * generator.nextUnit() / Double(assets))
        }
        return RebalanceKernel.Book(accounts: accounts, assets: assets, quantities: quantities, cash: cash, prices: prices,
                                    increments: increments, targets: targets)
    }
}
