import Foundation
import KeelBrokers
import KeelCore
import Testing

/// The paper broker fills the way the live path would: market hours, limit prices, volume, Schwab's fees.
@Suite("Paper broker realism")
struct PaperBrokerRealismTests {
    /// Quotes that tests change between calls: a price, a bar time and the bar's volume per symbol.
    final class MovingQuotes: QuoteSource, @unchecked Sendable {
        private let lock = NSLock()
        private var quotes: [String: BrokerQuote]

        init(_ quotes: [BrokerQuote]) { self.quotes = Dictionary(uniqueKeysWithValues: quotes.map { ($0.symbol, $0) }) }

        func set(_ quote: BrokerQuote) { lock.withLock { quotes[quote.symbol] = quote } }

        func latestQuotes(symbols: [String]) async throws -> [String: BrokerQuote] {
            lock.withLock { quotes.filter { symbols.contains($0.key) } }
        }
    }

    static let saturday = ISO8601DateFormatter().date(from: "2026-05-30T15:00:00Z")!
    static let mondayOpen = ISO8601DateFormatter().date(from: "2026-06-01T13:30:00Z")!
    static let mondayMidday = ISO8601DateFormatter().date(from: "2026-06-01T15:00:00Z")!
    static let friday = ISO8601DateFormatter().date(from: "2026-05-29T00:00:00Z")!

    func make(_ quotes: MovingQuotes, at time: Date, cash: Decimal = 100_000) async throws -> (PaperBroker, AdjustableClock) {
        let clock = AdjustableClock(time)
        let broker = PaperBroker(ledger: InMemoryPaperBrokerLedger(), quoteSource: quotes, costs: PaperExecutionCosts(slippageBasisPoints: 5), clock: clock)
        try await broker.openAccount(accountID: "acct", openingCash: cash)
        return (broker, clock)
    }

    func reference(_ key: String) -> BrokerOrderReference {
        BrokerOrderReference(clientOrderKey: key, brokerOrderID: nil, symbol: "AAPL", side: .buy, quantity: 1, submittedAt: nil, claimedBrokerOrderIDs: [])
    }

    @Test func equityOrdersWaitForTheOpenAndCryptoTradesAtWeekends() async throws {
        let quotes = MovingQuotes([BrokerQuote(symbol: "AAPL", last: 200, time: Self.friday, volume: 1_000_000, assetClass: .equity),
                                   BrokerQuote(symbol: "BTC-USD", last: 50_000, time: Self.friday, volume: 1_000, assetClass: .crypto)])
        let (paper, clock) = try await make(quotes, at: Self.saturday)
        let waiting = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "eq", symbol: "AAPL", side: .buy, quantity: 10))
        #expect(waiting.status == .working && waiting.fills.isEmpty, "the NYSE is closed on Saturday")
        let crypto = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "btc", symbol: "BTC-USD", side: .buy,
                                                                  quantity: Decimal(string: "0.1")!))
        #expect(crypto.status == .filled, "crypto trades every day")
        #expect(crypto.fills.first?.commission == Decimal(string: "12.51"), "25 bp of 5,002.50")
        #expect(try await paper.order(accountID: "acct", reference: reference("eq"))?.status == .working, "still closed")
        clock.set(Self.mondayOpen.addingTimeInterval(60))
        let filled = try #require(try await paper.order(accountID: "acct", reference: reference("eq")))
        #expect(filled.status == .filled && filled.filledQuantity == 10, "filled at Monday's open")
        #expect(filled.fills.first?.commission == 0, "equity buys are commission-free")
    }

    @Test func largeOrdersFillInPartsAgainstEachBarsVolume() async throws {
        let quotes = MovingQuotes([BrokerQuote(symbol: "AAPL", last: 100, time: Self.mondayOpen, volume: 3_000, assetClass: .equity)])
        let (paper, clock) = try await make(quotes, at: Self.mondayMidday)
        let first = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "big", symbol: "AAPL", side: .buy, quantity: 700))
        #expect(first.status == .partiallyFilled && first.filledQuantity == 300, "10 % of the bar's 3,000 shares")
        // The same bar again gives no more volume.
        #expect(try await paper.order(accountID: "acct", reference: reference("big"))?.filledQuantity == 300)
        for day in 1...2 {
            clock.set(Self.mondayMidday.addingTimeInterval(Double(day) * 86_400))
            quotes.set(BrokerQuote(symbol: "AAPL", last: 101, time: Self.mondayOpen.addingTimeInterval(Double(day) * 86_400), volume: 3_000, assetClass: .equity))
            _ = try await paper.orders(accountID: "acct")
        }
        let done = try #require(try await paper.order(accountID: "acct", reference: reference("big")))
        #expect(done.status == .filled && done.filledQuantity == 700 && done.fills.count == 3, "\(done.fills.map(\.quantity))")
        #expect(try await paper.accountSnapshot(accountID: "acct").positions.first?.quantity == 700)
    }

    @Test func limitOrdersFillOnlyAtTheirPriceOrBetter() async throws {
        let quotes = MovingQuotes([BrokerQuote(symbol: "AAPL", last: 200, time: Self.mondayOpen, assetClass: .equity)])
        let (paper, clock) = try await make(quotes, at: Self.mondayMidday)
        let resting = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "lim", symbol: "AAPL", side: .buy, quantity: 5,
                                                                   orderType: .limit, limitPrice: 195))
        #expect(resting.status == .working)
        let noLimit = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "bad", symbol: "AAPL", side: .buy, quantity: 5,
                                                                   orderType: .limit))
        #expect(noLimit.status == .rejected)
        clock.advance(by: 600)
        quotes.set(BrokerQuote(symbol: "AAPL", last: 194, time: Self.mondayMidday.addingTimeInterval(300), assetClass: .equity))
        let filled = try #require(try await paper.order(accountID: "acct", reference: reference("lim")))
        #expect(filled.status == .filled)
        #expect((filled.averageFillPrice ?? 0) <= 195, "never worse than the limit")
    }

    @Test func sellsPayTheSECFeeAndFINRATradingActivityFee() {
        let costs = PaperExecutionCosts()
        // 1,000 shares at $150: SEC 150,000 x 27.80/1e6 = 4.17; TAF 1,000 x 0.000166 = 0.166 -> 0.17.
        #expect(costs.fees(side: .sell, notional: 150_000, quantity: 1_000, assetClass: .equity) == Decimal(string: "4.34"))
        #expect(costs.fees(side: .buy, notional: 150_000, quantity: 1_000, assetClass: .equity) == 0)
        // TAF is capped at $8.30 per trade.
        #expect(costs.fees(side: .sell, notional: 100_000, quantity: 100_000, assetClass: .equity) == Decimal(string: "11.08"))
        #expect(costs.fees(side: .sell, notional: 10_000, quantity: Decimal(string: "0.2")!, assetClass: .crypto) == 25)
    }

    @Test func waitingOrdersCanBeCancelledAndFilledOnesCannot() async throws {
        let quotes = MovingQuotes([BrokerQuote(symbol: "AAPL", last: 200, time: Self.friday, volume: 1_000_000, assetClass: .equity)])
        let (paper, _) = try await make(quotes, at: Self.saturday)
        _ = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "w", symbol: "AAPL", side: .buy, quantity: 1))
        let cancelled = try await paper.cancelOrder(accountID: "acct", reference: reference("w"))
        #expect(cancelled.status == .cancelled)
        await #expect(throws: BrokerError.self) { try await paper.cancelOrder(accountID: "acct", reference: reference("w")) }
        #expect(try await paper.accountSnapshot(accountID: "acct").cash == 100_000)
    }
}
