import Foundation
import KeelCore
import Testing

@Suite("Pre-trade risk checks")
struct PreTradeRiskCheckerTests {
    func context(cash: Decimal = 10_000, holdings: [Holding] = [], latest: [String: Decimal] = ["AAPL": 100, "MSFT": 100],
                 kill: Bool = false, paused: Bool = false, maxWeight: Double = 0.5) -> PreTradeRiskChecker.Context {
        PreTradeRiskChecker.Context(killSwitchEngaged: kill, tradingPaused: paused, allowedModes: [.dryRun, .paper],
                                    snapshot: PortfolioSnapshot(cash: cash, holdings: holdings, prices: latest), latestPrices: latest,
                                    tradableSymbols: ["AAPL", "MSFT"], maxPositionWeight: maxWeight)
    }

    func buy(_ symbol: String, _ quantity: Decimal, at price: Decimal = 100) -> PlannedOrder {
        PlannedOrder(symbol: symbol, side: .buy, quantity: quantity, referencePrice: price, currentWeight: 0, targetWeight: 0.4)
    }

    let checker = PreTradeRiskChecker(limits: RiskLimits(maxOrderNotional: 5_000, priceCollar: 0.05, costBuffer: 0))

    @Test func aCleanBatchPasses() {
        #expect(checker.violations(for: [buy("AAPL", 40), buy("MSFT", 40)], mode: .paper, context: context()).isEmpty)
    }

    @Test func eachRuleIsEnforced() {
        func rules(_ orders: [PlannedOrder], _ ctx: PreTradeRiskChecker.Context, mode: TradingMode = .paper) -> Set<RiskViolation.Rule> {
            Set(checker.violations(for: orders, mode: mode, context: ctx).map(\.rule))
        }
        #expect(rules([buy("AAPL", 1)], context(kill: true)).contains(.killSwitch))
        #expect(rules([buy("AAPL", 1)], context(paused: true)).contains(.tradingPaused))
        #expect(!rules([buy("AAPL", 1)], context(paused: true), mode: .dryRun).contains(.tradingPaused))
        #expect(rules([buy("AAPL", 1)], context(), mode: .live).contains(.tradingMode))
        #expect(rules([buy("AAPL", 60)], context(maxWeight: 1)).contains(.maxOrderNotional))
        #expect(rules([buy("AAPL", 45), buy("MSFT", 45)], context(cash: 5_000, maxWeight: 1)).contains(.negativeCash))
        #expect(rules([buy("AAPL", 49)], context(maxWeight: 0.2)).contains(.maxPositionWeight))
        #expect(rules([buy("AAPL", 10, at: 90)], context()).contains(.priceCollar), "100 vs planned 90 is an 11% move")
        #expect(rules([buy("TSLA", 1)], context(latest: ["TSLA": 100])).contains(.untradableSymbol))
        #expect(rules([buy("MSFT", 1)], context(latest: ["AAPL": 100])).contains(.missingPrice))
        let sell = PlannedOrder(symbol: "AAPL", side: .sell, quantity: 5, referencePrice: 100, currentWeight: 0, targetWeight: 0)
        #expect(rules([sell], context()).contains(.insufficientPosition))
    }

    @Test func sellProceedsFundLaterBuys() {
        let holdings = [Holding(symbol: "AAPL", quantity: 40, averageCost: 90)]
        let sell = PlannedOrder(symbol: "AAPL", side: .sell, quantity: 40, referencePrice: 100, currentWeight: 0.4, targetWeight: 0)
        // Buy listed first: the checker still applies the sell first, as execution will.
        let violations = checker.violations(for: [buy("MSFT", 45), sell], mode: .paper, context: context(cash: 1_000, holdings: holdings, maxWeight: 1))
        #expect(violations.isEmpty)
    }
}
