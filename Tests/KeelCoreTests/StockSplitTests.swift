import Foundation
import KeelBrokers
import KeelCore
import Testing

@Suite("Stock splits")
struct StockSplitTests {
    @Test("a ratio is exact when its decimal ends within six places; repeating ratios are refused")
    func exactRatios() {
        #expect(StockSplit.exactRatio(newShares: 2, oldShares: 1) == 2)
        #expect(StockSplit.exactRatio(newShares: 3, oldShares: 2) == Decimal(string: "1.5"))
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: 8) == Decimal(string: "0.125"))
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: 20) == Decimal(string: "0.05"))
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: 64) == Decimal(string: "0.015625"))
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: 128) == nil, "seven places")
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: 3) == nil)
        #expect(StockSplit.exactRatio(newShares: 5, oldShares: 6) == nil)
        #expect(StockSplit.exactRatio(newShares: 0, oldShares: 1) == nil)
        #expect(StockSplit.exactRatio(newShares: 1, oldShares: -2) == nil)
        #expect(StockSplit(symbol: "AAPL", newShares: 4, oldShares: 1, exDate: CivilDay(year: 2020, month: 8, day: 31)).description
                == "4-for-1 split of AAPL on 2020-08-31")
    }

    @Test("every exact ratio times a share count of up to four places stays within the ledger's ten")
    func exactRatiosKeepTheLedgerExact() {
        for old in 1...200 {
            for new in [1, 2, 3, 5, 7] where new != old {
                guard let ratio = StockSplit.exactRatio(newShares: new, oldShares: old) else { continue }
                #expect(ratio * Decimal(old) == Decimal(new), "\(new)-for-\(old)")
                let scaled = Decimal(string: "1234.5678")! * ratio
                #expect(scaled == scaled.rounded(scale: 10), "\(new)-for-\(old)")
            }
        }
    }

    struct Splits: CorporateActionSource {
        let all: [StockSplit]
        func splits(effectiveBy date: Date) async throws -> [StockSplit] { all.filter { $0.effectiveAt <= date } }
    }

    @Test("the paper broker's books scale at the ex-date: shares before it double, their cost stays, later fills are in new shares; an order waiting across it is cancelled")
    func paperBooksFollowTheSplit() async throws {
        let clock = AdjustableClock(PaperBrokerTests.mondayMidday)
        let split = StockSplit(symbol: "AAPL", newShares: 2, oldShares: 1, exDate: CivilDay(PaperBrokerTests.mondayMidday).adding(days: 1))
        let paper = PaperBroker(ledger: InMemoryPaperBrokerLedger(), quoteSource: PaperBrokerTests.FixedQuotes(prices: ["AAPL": 200]),
                                costs: PaperExecutionCosts(slippageBasisPoints: 0, commissionPerOrder: 0), clock: clock,
                                corporateActions: Splits(all: [split]))
        try await paper.openAccount(accountID: "acct", openingCash: 10_000)
        _ = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "before", symbol: "AAPL", side: .buy, quantity: 10))
        let waiting = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "limit", symbol: "AAPL", side: .buy, quantity: 5,
                                                                    orderType: .limit, limitPrice: 150))
        #expect(waiting.status == .working, "\(waiting)")
        #expect(try await paper.accountSnapshot(accountID: "acct").positions.first?.quantity == 10, "not yet: the ex-date has not begun")

        clock.advance(by: 86_400)
        let after = try await paper.accountSnapshot(accountID: "acct")
        let position = try #require(after.positions.first)
        #expect(position.quantity == 20 && position.averageCost == 100, "\(position)")
        #expect(after.cash == 8_000, "a split moves no cash")
        let cancelled = try #require(try await paper.orders(accountID: "acct").first { $0.clientOrderKey == "limit" })
        #expect(cancelled.status == .cancelled && cancelled.rejectReason?.contains("2-for-1 split of AAPL") == true, "\(cancelled)")

        // A sale of all the new shares is covered; one more is not.
        let sold = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "sell", symbol: "AAPL", side: .sell, quantity: 20))
        #expect(sold.status == .filled, "\(sold)")
        #expect(try await paper.accountSnapshot(accountID: "acct").positions.isEmpty)
    }

    @Test("a fraction of a share is paid in cash only once a price is fixed: whole shares kept, the rest at the price per new share, in cents")
    func cashInLieuSettlement() {
        let day = CivilDay(year: 2026, month: 12, day: 8)
        var reverse = StockSplit(symbol: "XYZ", newShares: 1, oldShares: 8, exDate: day)
        let unpriced = reverse.settle(Decimal(21))
        #expect(unpriced.kept == Decimal(string: "2.625") && unpriced.paidShares == 0 && unpriced.cash == 0, "no price: the fraction is kept")
        #expect(reverse.cashInLieuPrice(lastCloseBefore: 2.5) == 20, "$2.50 in old shares is $20 a new share in a 1-for-8")
        reverse.cashInLieuPrice = Decimal(string: "20.0133")
        let paid = reverse.settle(Decimal(21))
        #expect(paid.kept == 2 && paid.paidShares == Decimal(string: "0.625"), "\(paid)")
        #expect(paid.cash == Decimal(string: "12.51"), "0.625 × 20.0133 = 12.5083..., posted in cents: \(paid.cash)")
        #expect(reverse.settle(Decimal(16)) == (2, 0, 0), "a whole result pays nothing")
        #expect(reverse.settle(Decimal(3)).kept == 0 && reverse.settle(Decimal(3)).paidShares == Decimal(string: "0.375"),
                "a holding smaller than one new share is all paid")
        #expect(reverse.settle(0) == (0, 0, 0))

        let threeForTwo = StockSplit(symbol: "XYZ", newShares: 3, oldShares: 2, exDate: day)
        #expect(threeForTwo.cashInLieuPrice(lastCloseBefore: 100) == Decimal(string: "66.6667"), "four decimals")
        for bad in [0, -1, Double.nan, .infinity] { #expect(threeForTwo.cashInLieuPrice(lastCloseBefore: bad) == nil, "\(bad)") }
        #expect(reverse.sameShares(as: StockSplit(symbol: "XYZ", newShares: 1, oldShares: 8, exDate: day)), "the price is not part of the split's identity")
    }

    @Test("the paper broker pays a reverse split's fraction in cash at the split's price; the fraction takes its part of the cost")
    func paperBooksPayCashInLieu() async throws {
        let clock = AdjustableClock(PaperBrokerTests.mondayMidday)
        let split = StockSplit(symbol: "AAPL", newShares: 1, oldShares: 4, exDate: CivilDay(PaperBrokerTests.mondayMidday).adding(days: 1),
                               cashInLieuPrice: 410)
        let paper = PaperBroker(ledger: InMemoryPaperBrokerLedger(), quoteSource: PaperBrokerTests.FixedQuotes(prices: ["AAPL": 100]),
                                costs: PaperExecutionCosts(slippageBasisPoints: 0, commissionPerOrder: 0), clock: clock,
                                corporateActions: Splits(all: [split, StockSplit(symbol: "ZZZ", newShares: 1, oldShares: 8, exDate: split.exDate)]))
        try await paper.openAccount(accountID: "acct", openingCash: 10_000)
        _ = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "buy", symbol: "AAPL", side: .buy, quantity: 10))
        #expect(try await paper.accountSnapshot(accountID: "acct").cash == 9_000)

        clock.advance(by: 86_400)
        let after = try await paper.accountSnapshot(accountID: "acct")
        let position = try #require(after.positions.first)
        // 10 old shares are 2.5 new: 2 kept at $400 each (the $1,000 cost less the half share's), 0.5 paid at $410.
        #expect(position.quantity == 2 && position.averageCost == 400, "\(position)")
        #expect(after.cash == 9_205, "\(after.cash)")
    }

    @Test("on any holding, exact ratio and price, the settlement keeps whole shares, pays less than one share, and loses no share")
    func cashInLieuInvariants() {
        var generator = SeededGenerator(seed: 24)
        let day = CivilDay(year: 2027, month: 1, day: 4)
        let ratios = (1...64).flatMap { old in [1, 2, 3, 5].map { (new: $0, old: old) } }
            .filter { $0.new != $0.old && StockSplit.exactRatio(newShares: $0.new, oldShares: $0.old) != nil }
        for _ in 0..<2_000 {
            let pick = ratios[Int(generator.next() % UInt64(ratios.count))]
            // Whole shares mostly, sometimes a fraction already (a position from elsewhere), up to four places.
            let quantity = Decimal(Int(generator.next() % 100_000)) / (generator.next() % 4 == 0 ? 10_000 : 1)
            let price = Decimal(Int(generator.next() % 10_000_000)) / 10_000
            let split = StockSplit(symbol: "XYZ", newShares: pick.new, oldShares: pick.old, exDate: day, cashInLieuPrice: price)
            let settled = split.settle(quantity)
            let scaled = quantity * split.ratio
            #expect(settled.kept + settled.paidShares == scaled, "\(quantity) in a \(split)")
            #expect(settled.kept == settled.kept.rounded(scale: 0, mode: .down) && settled.kept >= 0)
            #expect(settled.paidShares >= 0 && settled.paidShares < 1)
            #expect(settled.cash == (settled.paidShares * price).roundedToCents && settled.cash >= 0)
            var unpriced = split
            unpriced.cashInLieuPrice = nil
            #expect(unpriced.settle(quantity) == (scaled, 0, 0))
        }
    }
}
