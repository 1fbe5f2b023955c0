import Foundation
import KeelBrokers
import KeelCore
import Testing

@Suite("Paper broker")
struct PaperBrokerTests {
    struct FixedQuotes: QuoteSource {
        let prices: [String: Decimal]
        func latestQuotes(symbols: [String]) async throws -> [String: BrokerQuote] {
            prices.filter { symbols.contains($0.key) }.mapValues { BrokerQuote(symbol: "", last: $0, time: Date(timeIntervalSince1970: 0)) }
        }
    }

    /// Monday 1 June 2026, 11:00 in New York: the NYSE is open.
    static let mondayMidday = ISO8601DateFormatter().date(from: "2026-06-01T15:00:00Z")!

    func broker(commission: Decimal = 1) async throws -> PaperBroker {
        let broker = PaperBroker(ledger: InMemoryPaperBrokerLedger(), quoteSource: FixedQuotes(prices: ["AAPL": 200, "BTC-USD": 50_000]),
                                 costs: PaperExecutionCosts(slippageBasisPoints: 10, commissionPerOrder: commission), clock: AdjustableClock(Self.mondayMidday))
        try await broker.openAccount(accountID: "acct", openingCash: 10_000)
        return broker
    }

    @Test func fillsAtTheLatestPriceWithSlippageAndCommission() async throws {
        let paper = try await broker()
        let order = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "k1", symbol: "AAPL", side: .buy, quantity: 10))
        #expect(order.status == .filled)
        #expect(order.averageFillPrice == Decimal(string: "200.2"))
        let snapshot = try await paper.accountSnapshot(accountID: "acct")
        #expect(snapshot.cash == Decimal(string: "7997"))
        #expect(snapshot.positions.first?.quantity == 10)
    }

    @Test func theSameClientOrderKeyNeverFillsTwice() async throws {
        let paper = try await broker()
        let request = BrokerOrderRequest(accountID: "acct", clientOrderKey: "same", symbol: "BTC-USD", side: .buy, quantity: Decimal(string: "0.1")!)
        let first = try await paper.placeOrder(request)
        let second = try await paper.placeOrder(request)
        #expect(first.brokerOrderID == second.brokerOrderID)
        #expect(try await paper.orders(accountID: "acct").count == 1)
        #expect(try await paper.accountSnapshot(accountID: "acct").positions.first?.quantity == Decimal(string: "0.1"))
    }

    @Test func refusesOverdraftAndShortSelling() async throws {
        let paper = try await broker()
        let tooBig = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "k2", symbol: "AAPL", side: .buy, quantity: 100))
        #expect(tooBig.status == .rejected)
        let short = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "k3", symbol: "AAPL", side: .sell, quantity: 1))
        #expect(short.status == .rejected)
        #expect(try await paper.accountSnapshot(accountID: "acct").cash == 10_000)
        await #expect(throws: BrokerError.self) { try await paper.accountSnapshot(accountID: "unknown") }
    }

    @Test func sellingHalfKeepsTheAverageCost() async throws {
        let paper = try await broker(commission: 0)
        _ = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "b", symbol: "AAPL", side: .buy, quantity: 10))
        _ = try await paper.placeOrder(BrokerOrderRequest(accountID: "acct", clientOrderKey: "s", symbol: "AAPL", side: .sell, quantity: 5))
        let position = try #require(try await paper.accountSnapshot(accountID: "acct").positions.first)
        #expect(position.quantity == 5)
        #expect(position.averageCost == Decimal(string: "200.2"))
    }
}
