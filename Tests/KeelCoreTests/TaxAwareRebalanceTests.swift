import Foundation
import KeelCore
import Testing

/// The tax rules of a taxable account's rebalance, on its target weights.
@Suite("Tax-aware rebalancing")
struct TaxAwareRebalanceTests {
    static let today = TaxLotTests.day("2024-06-03")

    static func snapshot(_ holdings: [(String, Decimal)], prices: [String: Decimal], cash: Decimal = 0) -> PortfolioSnapshot {
        PortfolioSnapshot(cash: cash, holdings: holdings.map { Holding(symbol: $0.0, quantity: $0.1, averageCost: prices[$0.0] ?? 0) }, prices: prices)
    }

    @Test func aRecentLossBlocksTheBuyBackUntilTheWindowEnds() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: TaxLotTests.day("2024-01-02"))
        try book.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: TaxLotTests.day("2024-05-20"))
        let snapshot = Self.snapshot([], prices: ["AAPL": 120, "MSFT": 400], cash: 100_000)
        let (targets, reasons, _) = TaxAwareRebalance.adjust(targets: ["AAPL": 0.5, "MSFT": 0.5], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(targets["AAPL"] == 0 && targets["MSFT"] == 1, "the held-back weight goes to MSFT: \(targets)")
        #expect(reasons["AAPL"]?.contains("wash sale") == true && reasons["AAPL"]?.contains("2024-06-20") == true, "\(reasons)")
        let later = TaxAwareRebalance.adjust(targets: ["AAPL": 0.5], snapshot: snapshot, book: book, on: TaxLotTests.day("2024-06-20"), settings: .init())
        #expect(later.targets["AAPL"] == 0.5 && later.reasons.isEmpty)
        let knowingly = TaxAwareRebalance.adjust(targets: ["AAPL": 0.5], snapshot: snapshot, book: book, on: Self.today, settings: .init(allowWashSales: true))
        #expect(knowingly.targets["AAPL"] == 0.5)
    }

    @Test func aLossSaleSellsTheRecentSharesFirstWhenThatAvoidsTheWashSale() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "old", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: TaxLotTests.day("2024-01-02"))
        try book.buy(lotID: "new", symbol: "AAPL", quantity: 100, price: 125, fees: 0, on: TaxLotTests.day("2024-05-25"))
        let snapshot = Self.snapshot([("AAPL", 200)], prices: ["AAPL": 120], cash: 24_000)
        // FIFO would sell the old lot at a loss while the new one (9 days old) stays held: a wash sale. Selling the new
        // shares first leaves nothing to replace the loss.
        var fifo = book
        let washed = try fifo.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: Self.today)
        #expect(washed.realized.contains { $0.washDisallowed > 0 })
        let (targets, reasons, chosen) = TaxAwareRebalance.adjust(targets: ["AAPL": 0.25], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(targets["AAPL"] == 0.25 && reasons["AAPL"] == nil, "\(reasons)")
        #expect(chosen["AAPL"] == ["new", "old"])
        var planned = book
        let sale = try planned.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: Self.today, method: .specific(try #require(chosen["AAPL"])))
        #expect(sale.realized.map(\.lotID) == ["new"] && sale.realized.allSatisfy { $0.washDisallowed == 0 })
    }

    @Test func aLossSaleThatRecentSharesWouldWashWhicheverLotsItSellsIsNotMade() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "old", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: TaxLotTests.day("2024-01-02"))
        try book.buy(lotID: "new1", symbol: "AAPL", quantity: 50, price: 125, fees: 0, on: TaxLotTests.day("2024-05-25"))
        try book.buy(lotID: "new2", symbol: "AAPL", quantity: 50, price: 124, fees: 0, on: TaxLotTests.day("2024-05-28"))
        let snapshot = Self.snapshot([("AAPL", 200)], prices: ["AAPL": 120], cash: 24_000)
        // 25 shares to sell: the first recent lot's are sold at a loss while the second recent lot stays held.
        let target = (200.0 - 25) * 120 / 48_000
        let (targets, reasons, chosen) = TaxAwareRebalance.adjust(targets: ["AAPL": target], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(targets["AAPL"] == snapshot.weight(of: "AAPL") && reasons["AAPL"]?.contains("wash sale") == true, "\(reasons)")
        #expect(chosen.isEmpty)
    }

    @Test func aPurchaseHeldBackAsAWashSaleLeavesItsWeightToTheOtherNames() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: TaxLotTests.day("2024-01-02"))
        try book.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: TaxLotTests.day("2024-05-20"))
        let snapshot = Self.snapshot([], prices: ["AAPL": 120, "MSFT": 400, "NVDA": 100, "TSLA": 200], cash: 100_000)
        let wanted = ["AAPL": 0.3, "MSFT": 0.3, "NVDA": 0.2, "TSLA": 0.0]
        let (targets, reasons, _) = TaxAwareRebalance.adjust(targets: wanted, snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(targets["AAPL"] == 0)
        // Pro rata to the others' targets (0.3 : 0.2), the total unchanged; a name the strategy does not want gets none.
        #expect(abs((targets["MSFT"] ?? 0) - 0.48) < 1e-12 && abs((targets["NVDA"] ?? 0) - 0.32) < 1e-12, "\(targets)")
        #expect(targets["TSLA"] == 0 && reasons["TSLA"] == nil)
        #expect(abs(targets.values.reduce(0, +) - wanted.values.reduce(0, +)) < 1e-12)
        #expect(reasons["MSFT"]?.contains("held back") == true, "\(reasons)")
        // At most to the maximum weight: MSFT fills to 0.4, NVDA takes 0.2 + 0.2 of the rest; 0.1 stays cash.
        var capped = TaxAwareRebalance.Settings()
        capped.maxWeight = 0.4
        let within = TaxAwareRebalance.adjust(targets: wanted, snapshot: snapshot, book: book, on: Self.today, settings: capped)
        #expect(abs((within.targets["MSFT"] ?? 0) - 0.4) < 1e-12 && abs((within.targets["NVDA"] ?? 0) - 0.4) < 1e-12, "\(within.targets)")
        // Nothing held back, nothing moved.
        let later = TaxAwareRebalance.adjust(targets: wanted, snapshot: snapshot, book: book, on: TaxLotTests.day("2024-06-20"), settings: .init())
        #expect(later.targets == wanted && later.reasons.isEmpty)
    }

    @Test func aDriftSaleWaitsOnlyForShortTermGainsCloseEnoughToTurningLongTerm() throws {
        // A 10% short-term gain (20 a share on 200): waiting for the long-term rate saves 0.17 × 20 = 3.40 a share.
        // Bought 2023-07-01 it turns long-term on 2024-07-02, 29 days on: the drift costs 10% × 200 × 29 / 365 ≈ 1.59 a
        // share meanwhile, less than the saving, so the drift sale waits.
        var near = TaxLotBook()
        try near.buy(lotID: "near", symbol: "NVDA", quantity: 100, price: 180, fees: 0, on: TaxLotTests.day("2023-07-01"))
        let snapshot = Self.snapshot([("NVDA", 100)], prices: ["NVDA": 200], cash: 20_000)
        let waited = TaxAwareRebalance.adjust(targets: ["NVDA": 0.25], snapshot: snapshot, book: near, on: Self.today, settings: .init())
        #expect(waited.targets["NVDA"] == snapshot.weight(of: "NVDA") && waited.reasons["NVDA"]?.hasPrefix("not sold") == true, "\(waited.reasons)")
        // Bought 2023-12-01 it is 182 days from the long-term rate: the drift costs about 9.97 a share, more than 3.40.
        var far = TaxLotBook()
        try far.buy(lotID: "far", symbol: "NVDA", quantity: 100, price: 180, fees: 0, on: TaxLotTests.day("2023-12-01"))
        let sold = TaxAwareRebalance.adjust(targets: ["NVDA": 0.25], snapshot: snapshot, book: far, on: Self.today, settings: .init())
        #expect(sold.targets["NVDA"] == 0.25 && sold.reasons.isEmpty, "\(sold.reasons)")
        // An exit sells whatever the tax; a tolerance out of reach never waits.
        #expect(TaxAwareRebalance.adjust(targets: [:], snapshot: snapshot, book: near, on: Self.today, settings: .init()).reasons.isEmpty)
        #expect(TaxAwareRebalance.adjust(targets: ["NVDA": 0.25], snapshot: snapshot, book: near, on: Self.today,
                                         settings: .init(driftTaxTolerance: 1_000)).targets["NVDA"] == 0.25)
    }

    @Test func longTermGainsAndLossesSellFirstAndTheLotWorthWaitingForLast() throws {
        var book = TaxLotBook()
        // FIFO order: the lot worth waiting for first, then a large long-term gain, then a loss.
        try book.buy(lotID: "near", symbol: "NVDA", quantity: 40, price: 150, fees: 0, on: TaxLotTests.day("2023-06-10"))
        try book.buy(lotID: "long", symbol: "NVDA", quantity: 40, price: 50, fees: 0, on: TaxLotTests.day("2022-01-03"))
        try book.buy(lotID: "loss", symbol: "NVDA", quantity: 20, price: 260, fees: 0, on: TaxLotTests.day("2024-01-10"))
        let snapshot = Self.snapshot([("NVDA", 100)], prices: ["NVDA": 200])
        // Wanted: sell 80 of 100. The loss and the long-term gain (whose tax, 30 a share, waiting would not lower) go;
        // the near lot (17% × 50 = 8.50 a share saved in 8 days) waits: 60 shares sold.
        let trimmed = TaxAwareRebalance.adjust(targets: ["NVDA": 0.2], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        let kept = try #require(trimmed.targets["NVDA"])
        #expect(abs((1 - kept) * 20_000 / 200 - 60) < 1e-9, "\(kept)")
        #expect(trimmed.chosenLots["NVDA"] == ["loss", "long", "near"])
        #expect(trimmed.reasons["NVDA"]?.hasPrefix("trimmed to 60 shares") == true, "\(trimmed.reasons)")
        var planned = book
        let sale = try planned.sell(saleID: "S", symbol: "NVDA", quantity: 60, price: 200, fees: 0, on: Self.today,
                                    method: .specific(try #require(trimmed.chosenLots["NVDA"])))
        #expect(sale.realized.map(\.lotID) == ["loss", "long"])
    }

    @Test func theWaitingTestWeighsTheRateCutAgainstTheDriftOverTheWait() {
        func row(gain: Decimal, proceeds: Decimal, acquired: String, term: HoldingTerm = .short, known: Bool = true) -> RealizedLot {
            RealizedLot(realizedID: "r", saleID: "s", lotID: "l", symbol: "X", quantity: 1, acquiredOn: TaxLotTests.day(acquired), soldOn: Self.today,
                        proceeds: proceeds, costBasis: proceeds - gain, basisKnown: known, term: term)
        }
        // Bought 2023-06-03: long-term from 2024-06-04, one day on. 0.17 × gain against 0.1 × 100 / 365 ≈ 0.0274.
        let rates = TaxRates.standard
        #expect(TaxAwareRebalance.worthWaiting(row(gain: 1, proceeds: 100, acquired: "2023-06-03"), on: Self.today, tolerance: 0.1, rates: rates))
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: Decimal(string: "0.1")!, proceeds: 100, acquired: "2023-06-03"), on: Self.today,
                                                tolerance: 0.1, rates: rates))
        // Exactly level: long-term in 2 days, 0.17 × 1 saved against 0.085 × 365 × 2 / 365 = 0.17 of drift: sold.
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: 1, proceeds: 365, acquired: "2023-06-04"), on: Self.today, tolerance: Decimal(string: "0.085")!,
                                                rates: rates))
        #expect(TaxAwareRebalance.worthWaiting(row(gain: Decimal(string: "1.01")!, proceeds: 365, acquired: "2023-06-04"), on: Self.today,
                                               tolerance: Decimal(string: "0.085")!, rates: rates))
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: 50, proceeds: 100, acquired: "2020-01-02", term: .long), on: Self.today, tolerance: 0.1, rates: rates))
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: -50, proceeds: 100, acquired: "2023-06-03"), on: Self.today, tolerance: 0.1, rates: rates))
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: 50, proceeds: 100, acquired: "2023-06-03", known: false), on: Self.today, tolerance: 0.1, rates: rates))
        #expect(!TaxAwareRebalance.worthWaiting(row(gain: 50, proceeds: 100, acquired: "2023-06-03"), on: Self.today, tolerance: 0.1,
                                                rates: TaxRates(shortTerm: Decimal(string: "0.2")!, longTerm: Decimal(string: "0.2")!)), "no rate to gain")
    }

    @Test func theYearlyBudgetTrimsDriftGains() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L", symbol: "MSFT", quantity: 100, price: 100, fees: 0, on: TaxLotTests.day("2022-01-03"))
        let snapshot = Self.snapshot([("MSFT", 100)], prices: ["MSFT": 110], cash: 11_000)
        // Long term, 10 a share: 2 of tax a share, within 10% of 110. Selling 50 realises 500; the budget leaves 200.
        let free = TaxAwareRebalance.adjust(targets: ["MSFT": 0.25], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(free.targets["MSFT"] == 0.25 && free.reasons.isEmpty)
        let budgeted = TaxAwareRebalance.adjust(targets: ["MSFT": 0.25], snapshot: snapshot, book: book, on: Self.today,
                                                settings: .init(yearlyGainsBudget: 1_000, realizedThisYear: 800))
        let sold = (0.5 - (budgeted.targets["MSFT"] ?? 0)) * 22_000 / 110
        #expect(abs(sold - 20) < 1e-6, "\(sold) shares sold: 200 of gain at 10 a share")
        #expect(budgeted.reasons["MSFT"]?.contains("budget") == true)
    }

    @Test func aLossSoldInThisPlanBlocksBuyingAnIdenticalFund() throws {
        var book = TaxLotBook(identical: SubstantiallyIdentical(groups: [["VOO", "IVV"]]))
        try book.buy(lotID: "L", symbol: "VOO", quantity: 10, price: 450, fees: 0, on: TaxLotTests.day("2023-01-03"))
        let snapshot = Self.snapshot([("VOO", 10)], prices: ["VOO": 400, "IVV": 400, "VTI": 200])
        let (targets, reasons, _) = TaxAwareRebalance.adjust(targets: ["IVV": 0.5, "VTI": 0.5], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(targets["IVV"] == 0 && reasons["IVV"]?.contains("VOO") == true && targets["VTI"] == 1, "\(reasons)")
        // VOO itself, sold at a loss in this plan, takes none of IVV's weight.
        let keeping = TaxAwareRebalance.adjust(targets: ["VOO": 0.1, "IVV": 0.5, "VTI": 0.4], snapshot: snapshot, book: book, on: Self.today, settings: .init())
        #expect(keeping.targets["VTI"] == 0.9 && keeping.targets["VOO"] == 0.1, "\(keeping.targets)")
    }
}

/// Taxes of a replay: yearly netting, carried losses, and a replay whose figures add up.
@Suite("Tax replay")
struct TaxReplayTests {
    static func row(_ id: String, year: Int, term: HoldingTerm, gain: Decimal) -> RealizedLot {
        RealizedLot(realizedID: id, saleID: id, lotID: id, symbol: "X", quantity: 1, acquiredOn: CivilDay(year: year - 2, month: 1, day: 2),
                    soldOn: CivilDay(year: year, month: 6, day: 1), proceeds: 100 + gain, costBasis: 100, basisKnown: true, term: term)
    }

    @Test func yearsAreNettedAndLossesCarriedForward() {
        let rates = TaxRates(shortTerm: TaxLotTests.d("0.40"), longTerm: TaxLotTests.d("0.20"))
        // 2023: short +1,000, long −400 → net short 600 taxed at 40% = 240.
        // 2024: short −2,000, long +500 → net −1,500, nothing taxed, 1,500 short-term loss carried.
        // 2025: short +1,000 − 1,500 carried → −500, long +2,000 − 500 → 1,500 at 20% = 300.
        let rows = [Self.row("a", year: 2023, term: .short, gain: 1_000), Self.row("b", year: 2023, term: .long, gain: -400),
                    Self.row("c", year: 2024, term: .short, gain: -2_000), Self.row("d", year: 2024, term: .long, gain: 500),
                    Self.row("e", year: 2025, term: .short, gain: 1_000), Self.row("f", year: 2025, term: .long, gain: 2_000)]
        #expect(TaxReplay.yearlyTax(rows, rates: rates) == 540)
        #expect(TaxReplay.yearlyTaxes(rows, rates: rates) == [2023: 240, 2024: 0, 2025: 300])
    }

    @Test func taxPaidFromTheAccountStopsCompounding() {
        // 240 leaves a 1,200 portfolio at the end of 2023 (a fifth), 300 a 3,000 one at the end of 2025 (a tenth):
        // 0.8 × 0.9 of every later value is left.
        let scale = TaxReplay.fromAccountScale(taxes: [2023: 240, 2024: 0, 2025: 300], yearEndEquity: [2023: 1_200, 2024: 2_000, 2025: 3_000],
                                               finalEquity: 3_000)
        #expect(abs(scale - 0.72) < 1e-12)
        #expect(TaxReplay.fromAccountScale(taxes: [2026: 100], yearEndEquity: [:], finalEquity: 1_000) == 0.9, "a year with no value pays at the end")
        #expect(TaxReplay.fromAccountScale(taxes: [2026: 2_000], yearEndEquity: [2026: 1_000], finalEquity: 1_000) == 0, "never below nothing")
        #expect(TaxReplay.fromAccountScale(taxes: [:], yearEndEquity: [2026: 1_000], finalEquity: 1_000) == 1)
        #expect(TaxReplay.fromAccountScale(taxes: [2026: 1], yearEndEquity: [2026: .nan], finalEquity: 1_000) == 0)
        // Here paying from the account costs more than paying from outside: the portfolio grew 2.5x after 2023, and
        // the money paid would have grown with it (on a path that fell afterwards it would cost less).
        let fromOutside = 3_000.0 - 240 - 300
        #expect(scale * 3_000 < fromOutside)
    }

    @Test func aReplayAtZeroRatesKeepsItsPreTaxValueAndTheAwareOneMakesNoWashSale() throws {
        let market = AlignedMarket(PlantedSignalMarket.histories(symbols: 8, days: 600, signal: false, seed: 11))
        var engine = PortfolioBacktester(execution: ExecutionModel(), initialCash: 100_000, schedule: .everyBars(10),
                                         constraints: PortfolioConstraints(maxPositions: 3, maxWeight: 0.4, cashBuffer: 0.02), warmUp: 60)
        engine.tax = TaxReplay(settings: .init(rates: TaxRates(shortTerm: 0, longTerm: 0)), aware: false)
        let strategy = MomentumStrategy(lookback: 40)
        let free = try engine.run(strategy, market: market)
        let figures = try #require(free.tax)
        #expect(figures.taxesPaid == 0 && figures.afterTaxLiquidatedFinal == free.result.finalEquity)
        #expect(figures.afterTaxFromAccountLiquidatedFinal == free.result.finalEquity, "no tax: nothing leaves the account")
        engine.tax = TaxReplay(settings: .init(), aware: false)
        let naive = try #require(try engine.run(strategy, market: market).tax)
        #expect(naive.taxesPaid >= 0 && naive.afterTaxFinal <= naive.preTaxFinal && naive.preTaxFinal == free.result.finalEquity)
        #expect(try #require(naive.afterTaxFromAccountFinal) > 0 && naive.afterTaxFromAccountLiquidatedFinal != nil)
        engine.tax = TaxReplay(settings: .init(), aware: true)
        let aware = try #require(try engine.run(strategy, market: market).tax)
        #expect(aware.washSaleDisallowed == 0, "the tax-aware replay never makes a wash sale by itself")
    }

    /// Weights scripted by bar: the test decides when a name is sold and wanted back.
    struct ScriptedStrategy: PortfolioStrategy {
        var name: String { "scripted" }
        let script: @Sendable (Int) -> [String: Double]
        func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] { script(market.current) }
    }

    /// A name sold at a loss on day 10 and wanted back from day 20: the naive replay buys it back at once (a wash sale);
    /// the tax-aware one defers the purchase and makes it on day 41, the first day the window allows, between
    /// rebalances (every 10 bars), in time for the name's rise on day 45.
    @Test func aPurchaseDeferredAsAWashSaleIsMadeOnTheFirstDayItsWindowAllows() throws {
        let days = 60
        let start = Date(timeIntervalSince1970: 1_704_067_200)  // 2024-01-01, one bar a calendar day
        let timestamps = (0..<days).map { start.addingTimeInterval(Double($0) * 86_400) }
        let falling = (0..<days).map { $0 < 10 ? 100.0 : ($0 < 45 ? 80 : 120) }
        let flat = [Double](repeating: 100, count: days)
        let market = AlignedMarket([falling, flat].enumerated().map { index, closes in
            BarSeries(symbol: index == 0 ? "A" : "B", timestamps: timestamps, open: closes, high: closes, low: closes, close: closes,
                      volume: [Double](repeating: 1_000_000, count: days))
        })
        let strategy = ScriptedStrategy { bar in bar >= 10 && bar < 20 ? ["B": 0.45] : ["A": 0.45, "B": 0.45] }
        var engine = PortfolioBacktester(execution: .sameClose, initialCash: 100_000, schedule: .everyBars(10),
                                         constraints: PortfolioConstraints(maxPositions: 2, maxWeight: 0.9, cashBuffer: 0.02), warmUp: 0)
        engine.tax = TaxReplay(settings: .init(), aware: false)
        let naive = try engine.run(strategy, market: market)
        #expect(try #require(naive.tax).washSaleDisallowed > 0, "the naive replay buys A back on day 20")
        engine.tax = TaxReplay(settings: .init(), aware: true)
        let aware = try engine.run(strategy, market: market)
        let figures = try #require(aware.tax)
        #expect(figures.washSaleDisallowed == 0 && figures.deferredPurchases == 1, "\(figures)")
        // Held from day 41 (at 80), A's rise to 120 lifts the book: about 0.45 of it (B took A's weight meanwhile and
        // went back) gains 50%.
        #expect(aware.result.equity[44] < aware.result.equity[45] * 0.9, "A is held when it rises: \(aware.result.equity[44]) → \(aware.result.equity[45])")
        #expect(aware.result.equity[40] == aware.result.equity[39], "nothing moves before the window closes")
    }

    /// Over twenty seeded noise markets: the naive replay makes wash sales on some, the tax-aware one on none.
    @Test func theTaxAwareReplayMakesNoWashSaleOnAnyMarket() throws {
        var naiveWashed = 0, harvests = 0
        for seed in 1...20 {
            let market = AlignedMarket(PlantedSignalMarket.histories(symbols: 8, days: 400, signal: false, seed: UInt64(seed)))
            var engine = PortfolioBacktester(execution: ExecutionModel(), initialCash: 100_000, schedule: .everyBars(10),
                                             constraints: PortfolioConstraints(maxPositions: 3, maxWeight: 0.4, cashBuffer: 0.02), warmUp: 60)
            engine.tax = TaxReplay(settings: .init(), aware: false)
            if try #require(try engine.run(MomentumStrategy(lookback: 40), market: market).tax).washSaleDisallowed > 0 { naiveWashed += 1 }
            engine.tax = TaxReplay(settings: .init(), aware: true)
            #expect(try #require(try engine.run(MomentumStrategy(lookback: 40), market: market).tax).washSaleDisallowed == 0, "seed \(seed)")
            // Harvesting too (low thresholds, so it harvests often): never a wash sale.
            engine.tax = TaxReplay(settings: .init(), aware: true, harvesting: .init(minimumLoss: 100, minimumLossPercent: 0.02, substitutes: [:]))
            let harvested = try #require(try engine.run(MomentumStrategy(lookback: 40), market: market).tax)
            #expect(harvested.washSaleDisallowed == 0, "seed \(seed) with harvesting")
            harvests += harvested.harvests ?? 0
        }
        #expect(naiveWashed > 0, "the markets give the rule something to refuse")
        #expect(harvests > 20, "the replays harvest: \(harvests)")
    }

    /// The substitute a replay pairs by correlation: a planted twin (the same shocks plus small noise) is chosen over
    /// independent names, on every seed; only bars up to `t` are read.
    @Test func theMostCorrelatedNameIsThePlantedTwin() {
        for seed in 1...10 {
            var generator = SeededGenerator(seed: UInt64(seed))
            let days = 300
            var paths = [[Double]](repeating: [100], count: 5)
            for _ in 1..<days {
                let shock = Double.random(in: -0.02...0.02, using: &generator)
                paths[0].append(paths[0].last! * exp(shock))
                paths[1].append(paths[1].last! * exp(shock + Double.random(in: -0.004...0.004, using: &generator)))
                for s in 2..<5 { paths[s].append(paths[s].last! * exp(Double.random(in: -0.02...0.02, using: &generator))) }
            }
            let start = Date(timeIntervalSince1970: 1_600_000_000)
            let timestamps = (0..<days).map { start.addingTimeInterval(Double($0) * 86_400) }
            let market = AlignedMarket(paths.enumerated().map { index, closes in
                BarSeries(symbol: "S\(index)", timestamps: timestamps, open: closes, high: closes, low: closes, close: closes,
                          volume: [Double](repeating: 1_000, count: days))
            })
            #expect(SubstitutePairing.mostCorrelated(0, among: [1, 2, 3, 4], market: market, at: days - 1) == 1, "seed \(seed)")
            #expect(SubstitutePairing.mostCorrelated(0, among: [2, 3, 4], market: market, at: days - 1) != nil)
            #expect(SubstitutePairing.mostCorrelated(0, among: [1, 2], market: market, at: 30) == nil, "too few returns to judge")
        }
    }
}

/// Which loss lots are harvested into which substitute, and when a substitute goes back.
@Suite("Tax-loss harvesting")
struct TaxLossHarvestingTests {
    static let pairs = ["VOO": "VTI", "VTI": "VOO", "QQQ": "QQQM"]

    @Test func aLossBeyondBothThresholdsIsHarvestedIntoItsSubstituteLotByLot() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "gain", symbol: "VOO", quantity: 10, price: 300, fees: 0, on: TaxLotTests.day("2023-01-03"))
        try book.buy(lotID: "loss", symbol: "VOO", quantity: 20, price: 450, fees: 0, on: TaxLotTests.day("2024-01-03"))
        let settings = TaxLossHarvesting.Settings(substitutes: Self.pairs)
        let harvests = TaxLossHarvesting.harvests(book: book, prices: ["VOO": 400], on: TaxLotTests.day("2024-06-03"), settings: settings)
        let harvest = try #require(harvests.first)
        #expect(harvests.count == 1 && harvest.lotIDs == ["loss"] && harvest.quantity == 20 && harvest.loss == -1_000 && harvest.substitute == "VTI")
        #expect(harvest.taxSaved == 370, "a short-term loss at 37%")
        // Below either threshold: nothing.
        #expect(TaxLossHarvesting.harvests(book: book, prices: ["VOO": 440], on: TaxLotTests.day("2024-06-03"), settings: settings).isEmpty, "200 < 500")
        var percent = settings
        percent.minimumLossPercent = 0.2
        #expect(TaxLossHarvesting.harvests(book: book, prices: ["VOO": 400], on: TaxLotTests.day("2024-06-03"), settings: percent).isEmpty, "11% < 20%")
        #expect(TaxLossHarvesting.harvests(book: book, prices: ["SPY": 1], on: TaxLotTests.day("2024-06-03"), settings: settings).isEmpty)
    }

    @Test func noHarvestMakesAWashSale() throws {
        // Shares bought in the last 30 days stay held: their purchase would disallow the loss.
        var recent = TaxLotBook()
        try recent.buy(lotID: "old", symbol: "VOO", quantity: 20, price: 450, fees: 0, on: TaxLotTests.day("2024-01-03"))
        try recent.buy(lotID: "new", symbol: "VOO", quantity: 5, price: 390, fees: 0, on: TaxLotTests.day("2024-05-20"))
        #expect(TaxLossHarvesting.harvests(book: recent, prices: ["VOO": 400], on: TaxLotTests.day("2024-06-03"),
                                           settings: .init(substitutes: Self.pairs)).isEmpty)
        // The substitute realised a loss in the last 30 days: buying it would disallow that loss.
        var substituteLoss = TaxLotBook()
        try substituteLoss.buy(lotID: "vti", symbol: "VTI", quantity: 10, price: 250, fees: 0, on: TaxLotTests.day("2024-01-03"))
        try substituteLoss.sell(saleID: "S", symbol: "VTI", quantity: 10, price: 230, fees: 0, on: TaxLotTests.day("2024-05-25"))
        try substituteLoss.buy(lotID: "voo", symbol: "VOO", quantity: 20, price: 450, fees: 0, on: TaxLotTests.day("2024-01-03"))
        #expect(TaxLossHarvesting.harvests(book: substituteLoss, prices: ["VOO": 400], on: TaxLotTests.day("2024-06-03"),
                                           settings: .init(substitutes: Self.pairs)).isEmpty)
        // A substitute the advisor marked identical is no substitute.
        var identical = TaxLotBook(identical: SubstantiallyIdentical(groups: [["VOO", "VTI"]]))
        try identical.buy(lotID: "voo", symbol: "VOO", quantity: 20, price: 450, fees: 0, on: TaxLotTests.day("2024-01-03"))
        #expect(TaxLossHarvesting.harvests(book: identical, prices: ["VOO": 400], on: TaxLotTests.day("2024-06-03"),
                                           settings: .init(substitutes: Self.pairs)).isEmpty)
    }

    @Test func aSubstituteGoesBackAfter31DaysWhenItCostsLittleTax() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "vti", symbol: "VTI", quantity: 40, price: 200, fees: 0, on: TaxLotTests.day("2024-06-03"))
        let harvested = ["VTI": (original: "VOO", boughtOn: TaxLotTests.day("2024-06-03"))]
        let settings = TaxLossHarvesting.Settings(substitutes: Self.pairs)
        #expect(TaxLossHarvesting.swapBacks(book: book, prices: ["VTI": 199], on: TaxLotTests.day("2024-07-03"), harvested: harvested, settings: settings).isEmpty,
                "30 days: still in the window")
        let back = TaxLossHarvesting.swapBacks(book: book, prices: ["VTI": 199], on: TaxLotTests.day("2024-07-05"), harvested: harvested, settings: settings)
        #expect(back == [.init(substitute: "VTI", original: "VOO", quantity: 40, gain: -40)])
        // A large short-term gain on the substitute: it stays until swapping back is cheap.
        #expect(TaxLossHarvesting.swapBacks(book: book, prices: ["VTI": 240], on: TaxLotTests.day("2024-07-05"), harvested: harvested, settings: settings).isEmpty)
    }

    /// 30 VOO (10 at a gain, 20 at a loss) at 400 and 8,000 cash: 20,000 in all.
    static func harvestable() throws -> (TaxLotBook, PortfolioSnapshot) {
        var book = TaxLotBook()
        try book.buy(lotID: "gain", symbol: "VOO", quantity: 10, price: 300, fees: 0, on: TaxLotTests.day("2023-01-03"))
        try book.buy(lotID: "loss", symbol: "VOO", quantity: 20, price: 450, fees: 0, on: TaxLotTests.day("2024-01-03"))
        return (book, PortfolioSnapshot(cash: 8_000, holdings: [Holding(symbol: "VOO", quantity: 30, averageCost: 400)],
                                        prices: ["VOO": 400, "VTI": 200]))
    }

    @Test func aNewHarvestMovesTheLossLotsWeightToTheSubstitute() throws {
        let (book, snapshot) = try Self.harvestable()
        let settings = TaxLossHarvesting.Settings(substitutes: Self.pairs)
        let day = TaxLotTests.day("2024-06-03")
        let result = TaxLossHarvesting.retarget(["VOO": 0.6], snapshot: snapshot, book: book, on: day, inForce: [], settings: settings)
        #expect(result.harvests.map(\.lotIDs) == [["loss"]])
        #expect(abs((result.targets["VOO"] ?? 0) - 0.2) < 1e-12, "the gain lot's 4,000 stays: \(result.targets)")
        #expect(abs((result.targets["VTI"] ?? 0) - 0.4) < 1e-12)
        #expect(result.notes["VOO"]?.contains("harvested") == true)
        // An exit realises the loss anyway: no substitute is bought.
        #expect(TaxLossHarvesting.retarget(["VOO": 0], snapshot: snapshot, book: book, on: day, inForce: [], settings: settings).harvests.isEmpty)
        // Outside the daily cycle nothing new is harvested.
        #expect(TaxLossHarvesting.retarget(["VOO": 0.6], snapshot: snapshot, book: book, on: day, inForce: [], settings: settings, harvestNew: false)
            .targets == ["VOO": 0.6])
        // A substitute the strategy already wants is not doubled up, nor one without a fresh price.
        let wanted = TaxLossHarvesting.retarget(["VOO": 0.5, "VTI": 0.1], snapshot: snapshot, book: book, on: day, inForce: [], settings: settings)
        #expect(wanted.harvests.isEmpty && wanted.notes["VOO"]?.contains("already held or wanted") == true)
        var unpriced = snapshot
        unpriced.prices["VTI"] = nil
        #expect(TaxLossHarvesting.retarget(["VOO": 0.6], snapshot: unpriced, book: book, on: day, inForce: [], settings: settings).harvests.isEmpty)
    }

    @Test func aHarvestInForceKeepsItsSubstituteUntilItMayGoBack() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "vti", symbol: "VTI", quantity: 40, price: 200, fees: 0, on: TaxLotTests.day("2024-06-03"))
        let snapshot = PortfolioSnapshot(cash: 12_000, holdings: [Holding(symbol: "VTI", quantity: 40, averageCost: 200)], prices: ["VOO": 400, "VTI": 199])
        let settings = TaxLossHarvesting.Settings(substitutes: Self.pairs)
        let inForce = [TaxLossHarvesting.InForce(original: "VOO", substitute: "VTI", harvestedOn: TaxLotTests.day("2024-06-03"))]
        // Ten days on: the tax rules hold VOO at nothing (buying it would be a wash sale); VTI stands in for its 40%.
        let early = TaxLossHarvesting.retarget(["VOO": 0], wanted: ["VOO": 0.4], snapshot: snapshot, book: book, on: TaxLotTests.day("2024-06-13"),
                                               inForce: inForce, settings: settings)
        #expect(early.targets == ["VOO": 0, "VTI": 0.4] && early.swapBacks.isEmpty, "\(early.targets)")
        // 32 days on and a small loss on VTI: the strategy's targets stand, which sells VTI and buys VOO.
        let late = TaxLossHarvesting.retarget(["VOO": 0.4], snapshot: snapshot, book: book, on: TaxLotTests.day("2024-07-05"), inForce: inForce, settings: settings)
        #expect(late.targets == ["VOO": 0.4] && late.swapBacks.map(\.substitute) == ["VTI"])
        // A loss of VOO realised in the last 30 days (bought and sold again meanwhile) keeps VTI in place.
        var relapsed = book
        try relapsed.buy(lotID: "voo", symbol: "VOO", quantity: 1, price: 450, fees: 0, on: TaxLotTests.day("2024-06-04"))
        try relapsed.sell(saleID: "S", symbol: "VOO", quantity: 1, price: 400, fees: 0, on: TaxLotTests.day("2024-06-20"))
        #expect(TaxLossHarvesting.retarget(["VOO": 0.4], snapshot: snapshot, book: relapsed, on: TaxLotTests.day("2024-07-05"), inForce: inForce,
                                           settings: settings).swapBacks.isEmpty)
    }
}
