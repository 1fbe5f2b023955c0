import Foundation
import KeelCore
import KeelServices
import KeelTestSupport
import Testing

/// `keel backtest --tax --tax-draws N`: the naive and tax-aware policies on seeded sub-universes of real data.
@Suite("Tax replay on seeded sub-universes")
struct TaxDrawReplayTests {
    static let symbols = ["AAPL", "ABBV", "ABT", "ACN", "ADBE", "ADI", "ADP", "AMZN", "BA", "BAC", "CAT", "CELG"]

    static func request(draws: Int?, symbols: [String] = Self.symbols) -> BacktestRequest {
        var request = BacktestRequest(strategy: "momentum", symbols: symbols, csvPath: MarketDataFiles.path("equities/sp500_5yr"), fill: .nextOpen,
                                      commissionBps: 2, slippageBps: 5, lookback: 126, maxPositions: 4, maxWeight: 0.3)
        request.tax = true
        request.taxDraws = draws
        request.drawSize = draws.map { _ in 6 }
        return request
    }

    @Test("each draw is the replay of its own symbols, the same for the same seed; the summary is the draws' own",
          .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
    func drawsAreReplaysOfTheirSymbols() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let runner = BacktestRunner(context: app.services.context)
            let outcome = try await runner.run(Self.request(draws: 3))
            let draws = try #require(outcome.tax?.draws)
            #expect(draws.draws.count == 3 && draws.drawSize == 6)
            #expect(draws.draws.map(\.seed) == [1, 2, 3])
            #expect(Set(draws.draws.map(\.symbols)).count == 3, "three different sub-universes")
            for draw in draws.draws {
                #expect(draw.symbols.count == 6 && Set(draw.symbols).isSubset(of: Set(Self.symbols)))
                // The same figures as a plain tax replay of those symbols.
                let alone = try #require(try await runner.run(Self.request(draws: nil, symbols: draw.symbols)).tax)
                #expect(abs((alone.naive.afterTaxLiquidatedFinal / 100_000 - 1) * 100 - draw.naiveReturn) < 1e-9, "seed \(draw.seed)")
                #expect(abs((alone.aware.afterTaxLiquidatedFinal / 100_000 - 1) * 100 - draw.awareReturn) < 1e-9, "seed \(draw.seed)")
                #expect(alone.aware.washSaleDisallowed == 0)
            }
            let again = try #require(try await runner.run(Self.request(draws: 3)).tax?.draws)
            #expect(again == draws, "a seed draws the same symbols and replays the same")
            let differences = draws.draws.map { $0.awareReturn - $0.naiveReturn }
            #expect(abs(draws.summary.meanDifference - differences.reduce(0, +) / 3) < 1e-12)
            #expect(draws.summary.awareAtLeastNaive == differences.filter { $0 >= 0 }.count)
            let encoded = try JSONSerialization.jsonObject(with: BacktestOutcome.encoder.encode(outcome)) as? [String: Any]
            let json = try #require((encoded?["tax"] as? [String: Any])?["draws"] as? [String: Any])
            #expect(json["mean_difference"] != nil && json["t_statistic"] != nil && (json["draws"] as? [Any])?.count == 3)
        }
    }

    /// The request fails validation, naming `field`.
    static func expectRejected(_ request: BacktestRequest, field: String, _ what: String) {
        do {
            try request.validate()
            Issue.record("\(what) accepted")
        } catch let error as ServiceError {
            #expect(error.field == field, "\(what): \(error)")
        } catch {
            Issue.record("\(what): \(error)")
        }
    }

    @Test("draw options are bounded and need --tax")
    func drawOptionsAreValidated() throws {
        var request = Self.request(draws: 3)
        request.tax = false
        #expect(throws: ServiceError.self) { try request.validate() }
        for (draws, size, field) in [(0, 6, "tax_draws"), (201, 6, "tax_draws"), (3, 1, "draw_size"), (3, 501, "draw_size")] {
            var bad = Self.request(draws: draws)
            bad.drawSize = size
            Self.expectRejected(bad, field: field, "\(draws) draws of \(size)")
        }
        var sizeOnly = Self.request(draws: nil)
        sizeOnly.drawSize = 6
        #expect(throws: ServiceError.self) { try sizeOnly.validate() }
    }

    /// The two rules that change trades can be priced on history: with wash sales allowed and the drift-tax tolerance
    /// out of reach, the tax-aware policy (without harvesting) makes the naive policy's trades, so its pre-tax result is
    /// the naive one's exactly; with the rules in force it is not.
    @Test("with the wash-sale and drift-tax rules off, the tax-aware policy trades as the naive one",
          .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
    func rulesOffTradeAsNaive() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let runner = BacktestRunner(context: app.services.context)
            var request = Self.request(draws: nil)
            request.harvest = false
            let ruled = try #require(try await runner.run(request).tax)
            request.allowWashSales = true
            request.driftTaxTolerance = 1_000
            let unruled = try #require(try await runner.run(request).tax)
            #expect(ruled.aware.preTaxFinal != ruled.naive.preTaxFinal, "the rules must change this book's trades for the test to test anything")
            #expect(unruled.aware.preTaxFinal == unruled.naive.preTaxFinal)
            #expect(unruled.naive == ruled.naive, "the options touch only the tax-aware policy")
        }
    }

    @Test("the rule options are bounded and need --tax")
    func ruleOptionsAreValidated() throws {
        for (tolerance, allow, tax, field) in [(-0.1, nil, true, "drift_tax_tolerance"), (.nan, nil, true, "drift_tax_tolerance"),
                                               (1_001, nil, true, "drift_tax_tolerance"), (0.1, nil, false, "drift_tax_tolerance"),
                                               (nil, true, false, "allow_wash_sales")] as [(Double?, Bool?, Bool, String)] {
            var bad = Self.request(draws: nil)
            bad.tax = tax
            bad.driftTaxTolerance = tolerance
            bad.allowWashSales = allow
            Self.expectRejected(bad, field: field, "tolerance \(String(describing: tolerance)), allow \(String(describing: allow)), tax \(tax)")
        }
        var good = Self.request(draws: nil)
        good.driftTaxTolerance = 0
        good.allowWashSales = true
        try good.validate()
    }

    @Test("the summary statistics of given draws, and the seeded sample")
    func summaryAndSample() throws {
        let pairs: [(naive: Double, aware: Double)] = [(10, 12), (10, 9), (5, 8), (7, 7)]
        var draws: [TaxDrawComparison.Draw] = []
        for (index, pair) in pairs.enumerated() {
            draws.append(TaxDrawComparison.Draw(seed: UInt64(index + 1), symbols: [], naiveReturn: pair.naive, awareReturn: pair.aware, harvests: nil))
        }
        let comparison = TaxDrawComparison(drawSize: 2, draws: draws)
        // Differences 2, −1, 3, 0: mean 1, sample sd √(10/3).
        #expect(abs(comparison.summary.meanDifference - 1) < 1e-12)
        #expect(abs(comparison.summary.differenceDeviation - (10.0 / 3).squareRoot()) < 1e-12)
        #expect(abs(comparison.summary.tStatistic - 1 / ((10.0 / 3).squareRoot() / 2)) < 1e-12)
        #expect(comparison.summary.awareAtLeastNaive == 3)
        #expect(TaxDrawComparison(drawSize: 2, draws: []).summary.tStatistic == 0)
        #expect(comparison.fromAccount == nil, "draws without the from-account figures have no such summary")
        var paid = comparison
        for index in paid.draws.indices {
            paid.draws[index].naiveFromAccountReturn = paid.draws[index].naiveReturn - 1
            paid.draws[index].awareFromAccountReturn = paid.draws[index].awareReturn - Double(index)
        }
        // Differences 3, −1, 2, −2: mean 0.5, two of four level or ahead.
        let fromAccount = try #require(paid.fromAccount)
        #expect(abs(fromAccount.meanDifference - 0.5) < 1e-12 && fromAccount.awareAtLeastNaive == 2 && fromAccount.draws == 4)
        let names = (0..<40).map { "S\($0)" }
        let first = TaxDrawComparison.sample(names, size: 10, seed: 7)
        #expect(first == TaxDrawComparison.sample(names, size: 10, seed: 7) && first != TaxDrawComparison.sample(names, size: 10, seed: 8))
        #expect(first.count == 10 && first == names.filter(first.contains), "in the input's order")
        #expect(TaxDrawComparison.sample(names, size: 99, seed: 1) == names && TaxDrawComparison.sample(names, size: -1, seed: 1).isEmpty)
    }
}
