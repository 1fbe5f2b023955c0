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
}
