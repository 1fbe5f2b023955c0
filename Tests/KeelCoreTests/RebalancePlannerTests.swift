import Foundation
import KeelCore
import Testing

@Suite("Rebalance planner")
struct RebalancePlannerTests {
    let instruments: [String: Instrument] = [
        "AAPL": Instrument(symbol: "AAPL", assetClass: .equity, name: "Apple"),
        "MSFT": Instrument(symbol: "MSFT", assetClass: .equity, name: "Microsoft"),
        "BTC-USD": Instrument(symbol: "BTC-USD", assetClass: .crypto, name: "Bitcoin"),
    ]

    @Test func buysWholeSharesAndFractionalCrypto() {
        let snapshot = PortfolioSnapshot(cash: 10_000, holdings: [], prices: ["AAPL": 190.37, "BTC-USD": 65_123.45])
        let plan = RebalancePlanner().plan(snapshot: snapshot, targets: ["AAPL": 0.5, "BTC-USD": 0.45], instruments: instruments)
        let aapl = plan.orders.first { $0.symbol == "AAPL" }
        let btc = plan.orders.first { $0.symbol == "BTC-USD" }
        #expect(aapl?.quantity == 26, "floor(5000 / 190.37) whole shares")
        #expect(btc?.quantity == Decimal(string: "0.069099"), "crypto floored to the 0.000001 lot")
        #expect(plan.orders.allSatisfy { $0.side == .buy })
    }

    @Test func exitsSellEverythingAndSellsComeFirst() {
        let snapshot = PortfolioSnapshot(cash: 100, holdings: [Holding(symbol: "MSFT", quantity: 10, averageCost: 300),
                                                              Holding(symbol: "BTC-USD", quantity: Decimal(string: "0.0123457")!, averageCost: 60_000)],
                                         prices: ["MSFT": 400, "BTC-USD": 65_000, "AAPL": 200])
        let plan = RebalancePlanner().plan(snapshot: snapshot, targets: ["AAPL": 0.9], instruments: instruments)
        #expect(plan.orders.map(\.side) == [.sell, .sell, .buy])
        #expect(plan.orders.first { $0.symbol == "BTC-USD" }?.quantity == Decimal(string: "0.0123457"), "an exit sells the exact fractional holding")
        #expect(plan.orders.first { $0.symbol == "MSFT" }?.quantity == 10)
    }

    @Test func skipsDustAndRespectsTheDriftThreshold() {
        let snapshot = PortfolioSnapshot(cash: 1_000, holdings: [Holding(symbol: "AAPL", quantity: 45, averageCost: 190)],
                                         prices: ["AAPL": 200, "MSFT": 400])
        // AAPL is 90% against a 91% target: within a 2% threshold. MSFT's 0.5% target is $50: under the $100 minimum.
        let planner = RebalancePlanner(settings: .init(minimumOrderNotional: 100, driftThreshold: 0.02))
        let plan = planner.plan(snapshot: snapshot, targets: ["AAPL": 0.91, "MSFT": 0.005], instruments: instruments)
        #expect(plan.orders.isEmpty)
        #expect(plan.withinDriftThreshold == ["AAPL"])
        #expect(plan.skippedAsDust == ["MSFT"])
    }

    @Test func buysAreScaledToTheCashAvailable() {
        // Targets sum above what cash can pay with the cost buffer: every buy shrinks, none overdraws.
        let snapshot = PortfolioSnapshot(cash: 10_000, holdings: [], prices: ["AAPL": 100, "MSFT": 100])
        let plan = RebalancePlanner(settings: .init(buyCostBuffer: 0.01)).plan(snapshot: snapshot, targets: ["AAPL": 0.5, "MSFT": 0.5], instruments: instruments)
        let cost = plan.orders.reduce(Decimal(0)) { $0 + $1.quantity * $1.referencePrice * Decimal(string: "1.01")! }
        #expect(cost <= 10_000)
        #expect(plan.orders.count == 2)
    }

    @Test func unpricedSymbolsAreReportedNotTraded() {
        let snapshot = PortfolioSnapshot(cash: 1_000, holdings: [], prices: [:])
        let plan = RebalancePlanner().plan(snapshot: snapshot, targets: ["AAPL": 0.5], instruments: instruments)
        #expect(plan.orders.isEmpty)
        #expect(plan.unpriced == ["AAPL"])
    }
}
