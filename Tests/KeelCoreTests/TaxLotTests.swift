import Foundation
import KeelCore
import PropertyBased
import Testing

/// The lot ledger: methods, holding periods, partial sales, splits, wash sales and the 8949 rows.
@Suite("Tax lots")
struct TaxLotTests {
    static func day(_ text: String) -> CivilDay {
        let parts = text.split(separator: "-").map { Int($0)! }
        return CivilDay(year: parts[0], month: parts[1], day: parts[2])
    }

    static func d(_ text: String) -> Decimal { Decimal(string: text)! }

    /// Three lots of AAPL: 100 @ 100 (2023-01-10), 100 @ 150 (2023-06-01), 100 @ 120 (2024-01-05).
    static func threeLots() throws -> TaxLotBook {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 100, fees: 0, on: day("2023-01-10"))
        try book.buy(lotID: "L2", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: day("2023-06-01"))
        try book.buy(lotID: "L3", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: day("2024-01-05"))
        return book
    }

    @Test func methodsConsumeLotsInTheirOrder() throws {
        let sale = Self.day("2024-03-01")
        var fifo = try Self.threeLots()
        let first = try fifo.sell(saleID: "S", symbol: "AAPL", quantity: 150, price: 130, fees: 0, on: sale, method: .fifo).realized
        #expect(first.map(\.lotID) == ["L1", "L2"] && first.map(\.quantity) == [100, 50])
        #expect(first[0].gain == 3_000 && first[0].term == .long && first[1].gain == -1_000 && first[1].term == .short)
        #expect(fifo.held("AAPL") == 150 && fifo.lots.first { $0.lotID == "L2" }?.costBasis == 7_500)

        var hifo = try Self.threeLots()
        #expect(try hifo.sell(saleID: "S", symbol: "AAPL", quantity: 150, price: 130, fees: 0, on: sale, method: .hifo).realized.map(\.lotID) == ["L2", "L3"])

        var specific = try Self.threeLots()
        #expect(try specific.sell(saleID: "S", symbol: "AAPL", quantity: 150, price: 130, fees: 0, on: sale, method: .specific(["L3"])).realized.map(\.lotID)
                == ["L3", "L1"])

        // Minimum tax at 37% / 20%: L2's short-term loss first, then L3's short-term gain (10 a share at 37% = 3.7)
        // against L1's long-term gain (30 a share at 20% = 6.0).
        var minimum = try Self.threeLots()
        #expect(try minimum.sell(saleID: "S", symbol: "AAPL", quantity: 250, price: 130, fees: 0, on: sale, method: .minimumTax).realized.map(\.lotID)
                == ["L2", "L3", "L1"])
    }

    @Test func feesJoinTheBasisAndComeOffTheProceedsProRata() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "MSFT", quantity: 10, price: 100, fees: 5, on: Self.day("2024-01-02"))
        try book.buy(lotID: "L2", symbol: "MSFT", quantity: 10, price: 110, fees: 5, on: Self.day("2024-01-03"))
        let rows = try book.sell(saleID: "S", symbol: "MSFT", quantity: 15, price: 120, fees: 3, on: Self.day("2024-02-01")).realized
        #expect(rows[0].costBasis == 1_005 && rows[0].proceeds == 1_200 - 2)
        #expect(rows[1].costBasis == Decimal(1_105) / 2 && rows[1].proceeds == 600 - 1)
        #expect(book.lots.map(\.costBasis) == [Decimal(1_105) / 2])
        #expect(throws: TaxLotBook.LotError.notEnoughShares(symbol: "MSFT", wanted: 6, held: 5)) {
            try book.sell(saleID: "T", symbol: "MSFT", quantity: 6, price: 1, fees: 0, on: Self.day("2024-02-02"))
        }
    }

    @Test(arguments: [
        ("2023-03-15", "2024-03-15", HoldingTerm.short), ("2023-03-15", "2024-03-16", .long),
        // Bought on a leap day: the anniversary in a common year is 28 February.
        ("2024-02-29", "2025-02-28", .short), ("2024-02-29", "2025-03-01", .long),
        // Across a leap day: the anniversary is the same date.
        ("2023-03-01", "2024-02-29", .short), ("2023-03-01", "2024-03-01", .short), ("2023-03-01", "2024-03-02", .long),
        ("2023-02-28", "2024-02-29", .long), ("2024-12-31", "2025-12-31", .short), ("2024-12-31", "2026-01-01", .long),
    ])
    func holdingPeriods(bought: String, sold: String, term: HoldingTerm) {
        #expect(HoldingTerm.of(heldSince: Self.day(bought), soldOn: Self.day(sold)) == term, "\(bought) -> \(sold)")
    }

    @Test func aSplitScalesTheSharesAndKeepsTheBasis() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "NVDA", quantity: 10, price: 400, fees: 0, on: Self.day("2024-01-02"))
        _ = try book.split(symbol: "NVDA", ratio: 10)
        #expect(book.held("NVDA") == 100 && book.lots[0].costBasis == 4_000 && book.lots[0].basisPerShare == 40)
        let row = try book.sell(saleID: "S", symbol: "NVDA", quantity: 50, price: 50, fees: 0, on: Self.day("2024-07-01")).realized[0]
        #expect(row.gain == 500 && row.acquiredOn == Self.day("2024-01-02"))
    }

    @Test func aLossRepurchasedWithin30DaysMovesOntoTheNewShares() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: Self.day("2024-01-02"))
        let sale = try book.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: Self.day("2024-03-01")).realized[0]
        #expect(sale.gain == -3_000 && sale.unmatchedLossShares == 100 && sale.washDisallowed == 0)
        let bought = try book.buy(lotID: "L2", symbol: "AAPL", quantity: 100, price: 125, fees: 0, on: Self.day("2024-03-31"))
        let row = try #require(book.realized.first)
        #expect(row.washDisallowed == 3_000 && row.unmatchedLossShares == 0 && row.reportableGain == 0)
        #expect(bought.updatedRealized.map(\.realizedID) == [row.realizedID])
        let lot = try #require(book.lots.first)
        // Basis 12,500 + the 3,000 disallowed; held since 2024-03-31 less the 59 days the sold shares were held (2024-02-01).
        #expect(lot.costBasis == 15_500 && lot.washAdjustment == 3_000 && lot.heldSince == Self.day("2024-02-01") && lot.acquiredOn == Self.day("2024-03-31"))
        // Sold later at 130: the deferred loss comes back as a lower gain, and the adjustment is reported.
        let later = try book.sell(saleID: "T", symbol: "AAPL", quantity: 100, price: 130, fees: 0, on: Self.day("2024-06-03")).realized[0]
        #expect(later.gain == -2_500 && later.acquiredOn == Self.day("2024-02-01"))
    }

    @Test func aPurchaseWithin30DaysBeforeTheLossSaleIsTheReplacement() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: Self.day("2024-01-02"))
        try book.buy(lotID: "L2", symbol: "AAPL", quantity: 100, price: 130, fees: 0, on: Self.day("2024-02-15"))
        let sale = try book.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: Self.day("2024-03-01"), method: .specific(["L1"]))
        #expect(sale.realized[0].washDisallowed == 3_000 && sale.realized[0].unmatchedLossShares == 0)
        #expect(book.lots.map(\.lotID) == ["L2"] && book.lots[0].costBasis == 16_000)
    }

    @Test func outsideTheWindowAGainOrADifferentSecurityIsNoWashSale() throws {
        var late = TaxLotBook()
        try late.buy(lotID: "L1", symbol: "AAPL", quantity: 10, price: 150, fees: 0, on: Self.day("2024-01-02"))
        try late.sell(saleID: "S", symbol: "AAPL", quantity: 10, price: 120, fees: 0, on: Self.day("2024-03-01"))
        try late.buy(lotID: "L2", symbol: "AAPL", quantity: 10, price: 125, fees: 0, on: Self.day("2024-04-01"))
        #expect(late.realized[0].washDisallowed == 0 && late.lots[0].costBasis == 1_250)

        var gain = TaxLotBook()
        try gain.buy(lotID: "L1", symbol: "AAPL", quantity: 10, price: 100, fees: 0, on: Self.day("2024-01-02"))
        try gain.sell(saleID: "S", symbol: "AAPL", quantity: 10, price: 120, fees: 0, on: Self.day("2024-03-01"))
        try gain.buy(lotID: "L2", symbol: "AAPL", quantity: 10, price: 125, fees: 0, on: Self.day("2024-03-02"))
        #expect(gain.realized[0].washDisallowed == 0 && gain.lots[0].costBasis == 1_250)

        var other = TaxLotBook()
        try other.buy(lotID: "L1", symbol: "VOO", quantity: 10, price: 400, fees: 0, on: Self.day("2024-01-02"))
        try other.sell(saleID: "S", symbol: "VOO", quantity: 10, price: 380, fees: 0, on: Self.day("2024-03-01"))
        try other.buy(lotID: "L2", symbol: "VTI", quantity: 10, price: 200, fees: 0, on: Self.day("2024-03-02"))
        #expect(other.realized[0].washDisallowed == 0, "a fund on another index is the harvesting substitute, not a replacement")
    }

    @Test func substantiallyIdenticalGroupsCount() throws {
        var book = TaxLotBook(identical: SubstantiallyIdentical(groups: [["VOO", "IVV", "SPLG"]]))
        try book.buy(lotID: "L1", symbol: "VOO", quantity: 10, price: 400, fees: 0, on: Self.day("2024-01-02"))
        try book.sell(saleID: "S", symbol: "VOO", quantity: 10, price: 380, fees: 0, on: Self.day("2024-03-01"))
        try book.buy(lotID: "L2", symbol: "ivv", quantity: 20, price: 385, fees: 0, on: Self.day("2024-03-20"))
        #expect(book.realized[0].washDisallowed == 200)
    }

    @Test func aPartialReplacementDisallowsItsShareAndCarvesTheReplacingShares() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: Self.day("2024-01-02"))
        try book.sell(saleID: "S", symbol: "AAPL", quantity: 100, price: 120, fees: 0, on: Self.day("2024-03-01"))
        try book.buy(lotID: "L2", symbol: "AAPL", quantity: 40, price: 125, fees: 0, on: Self.day("2024-03-10"))
        #expect(book.realized[0].washDisallowed == 1_200 && book.realized[0].unmatchedLossShares == 60)
        try book.buy(lotID: "L3", symbol: "AAPL", quantity: 100, price: 125, fees: 0, on: Self.day("2024-03-20"))
        #expect(book.realized[0].washDisallowed == 3_000 && book.realized[0].unmatchedLossShares == 0)
        // L3: 60 shares replace (carved with the carried holding period), 40 are a plain purchase.
        let pieces = book.lots.filter { $0.lotID.hasPrefix("L3") }.sorted { $0.quantity < $1.quantity }
        #expect(pieces.map(\.quantity) == [40, 60])
        #expect(pieces[0].costBasis == 5_000 && pieces[0].heldSince == Self.day("2024-03-20") && pieces[0].replacementShares == 0)
        #expect(pieces[1].costBasis == 7_500 + 1_800 && pieces[1].heldSince < Self.day("2024-03-20") && pieces[1].replacementShares == 60)
        // A third purchase replaces nothing: the loss is used up.
        try book.buy(lotID: "L4", symbol: "AAPL", quantity: 10, price: 125, fees: 0, on: Self.day("2024-03-25"))
        #expect(book.lots.first { $0.lotID == "L4" }?.costBasis == 1_250)
    }

    @Test func theRestOfTheSoldSharesOwnPurchaseDoesNotReplaceThem() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 150, fees: 0, on: Self.day("2024-02-20"))
        let row = try book.sell(saleID: "S", symbol: "AAPL", quantity: 50, price: 120, fees: 0, on: Self.day("2024-03-01")).realized[0]
        #expect(row.washDisallowed == 0 && row.unmatchedLossShares == 50 && book.lots[0].costBasis == 7_500)
    }

    @Test func theTaxEstimateWeighsTermsAtTheirRates() throws {
        let book = try Self.threeLots()
        let rates = TaxRates(shortTerm: Self.d("0.40"), longTerm: Self.d("0.15"))
        let estimate = book.estimate(symbol: "AAPL", quantity: 100, price: 130, on: Self.day("2024-03-01"), method: .fifo, rates: rates)
        #expect(estimate.longTerm == 3_000 && estimate.shortTerm == 0 && estimate.tax == 450)
        let harvest = book.estimate(symbol: "AAPL", quantity: 100, price: 130, on: Self.day("2024-03-01"), method: .hifo, rates: rates)
        #expect(harvest.shortTerm == -2_000 && harvest.tax == -800)
        #expect(book.held("AAPL") == 300, "estimating changes nothing")
    }

    @Test func aYearOfTradesGivesTheFormsRows() throws {
        var book = TaxLotBook()
        try book.buy(lotID: "L1", symbol: "AAPL", quantity: 100, price: 100, fees: 1, on: Self.day("2022-06-01"))
        try book.buy(lotID: "L2", symbol: "MSFT", quantity: 10, price: 300, fees: 1, on: Self.day("2023-05-01"))
        try book.sell(saleID: "S1", symbol: "AAPL", quantity: 100, price: 150, fees: 1, on: Self.day("2023-07-03"))
        try book.sell(saleID: "S2", symbol: "MSFT", quantity: 10, price: 250, fees: 1, on: Self.day("2023-09-01"))
        try book.buy(lotID: "L3", symbol: "MSFT", quantity: 10, price: 260, fees: 1, on: Self.day("2023-09-15"))
        try book.sell(saleID: "S3", symbol: "MSFT", quantity: 10, price: 280, fees: 1, on: Self.day("2024-01-10"))
        let rows = Form8949.rows(book.realized, year: 2023)
        #expect(rows.count == 2)
        #expect(rows[0].term == .short && rows[0].description == "10 sh. MSFT" && rows[0].acquired == "05/01/2023" && rows[0].sold == "09/01/2023")
        #expect(rows[0].proceeds == 2_499 && rows[0].costBasis == 3_001 && rows[0].code == "W" && rows[0].adjustment == 502 && rows[0].gainOrLoss == 0)
        #expect(rows[1].term == .long && rows[1].proceeds == 14_999 && rows[1].costBasis == 10_001 && rows[1].gainOrLoss == 4_998 && rows[1].code == "")
        let next = Form8949.rows(book.realized, year: 2024)
        #expect(next.count == 1 && next[0].costBasis == 2_601 + 502 && next[0].gainOrLoss == 2_799 - 3_103 && next[0].acquired == "05/15/2023")
        let csv = Form8949.csv(rows)
        #expect(csv.hasPrefix("description,date_acquired,date_sold,proceeds,cost_basis,code,adjustment,gain_or_loss,term\n"))
        #expect(csv.contains("10 sh. MSFT,05/01/2023,09/01/2023,2499.00,3001.00,W,502.00,0.00,short\n"))
    }

    /// Over many seeded sequences of buys, sells and splits (wash sales among them): the lots hold what the trades
    /// leave, no basis is created or lost (what was paid plus what wash sales moved equals what is held plus what
    /// was sold), and once everything is sold the reported gains add up to proceeds less cost: wash sales defer,
    /// never erase.
    @Test func basisIsConservedAndWashSalesOnlyDefer() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...Int(Int32.max))) { seed in
            let outcome = Self.replay(seed: UInt64(seed))
            #expect(outcome.heldMatches, "seed \(seed): the lots hold what the trades left")
            #expect(outcome.basisGap < 1e-6, "seed \(seed): basis created or lost \(outcome.basisGap)")
            #expect(outcome.emptyAtEnd && outcome.gainGap < 1e-6, "seed \(seed): reported gains differ from proceeds less cost by \(outcome.gainGap)")
        }
    }

    struct ReplayOutcome {
        var heldMatches: Bool
        var basisGap: Double
        var emptyAtEnd: Bool
        var gainGap: Double
    }

    /// A seeded sequence of buys, sells (by every method) and splits over two identical symbols and a third.
    static func replay(seed: UInt64) -> ReplayOutcome {
        var generator = SplitMix(seed: seed)
        var book = TaxLotBook(identical: SubstantiallyIdentical(groups: [["AAA", "BBB"]]))
        let symbols = ["AAA", "BBB", "CCC"]
        let methods: [LotMethod] = [.fifo, .hifo, .minimumTax]
        var held: [String: Decimal] = [:]
        var paid: Decimal = 0
        var proceeds: Decimal = 0
        var day = CivilDay(year: 2020, month: 1, day: 2)
        for step in 0..<60 {
            day = day.adding(days: Int(generator.next() % 12))
            let symbol = symbols[Int(generator.next() % 3)]
            let price = Decimal(Int(generator.next() % 200) + 10)
            let roll = generator.next() % 10
            let holding = held[symbol] ?? 0
            if roll < 5 || holding == 0 {
                let quantity = Decimal(Int(generator.next() % 50) + 1)
                if (try? book.buy(lotID: "B\(step)", symbol: symbol, quantity: quantity, price: price, fees: 1, on: day)) != nil {
                    held[symbol] = holding + quantity
                    paid += quantity * price + 1
                }
            } else if roll < 9 {
                let quantity = min(holding, Decimal(Int(generator.next() % 60) + 1))
                let method = methods[Int(generator.next() % 3)]
                if (try? book.sell(saleID: "S\(step)", symbol: symbol, quantity: quantity, price: price, fees: 1, on: day, method: method)) != nil {
                    held[symbol] = holding - quantity
                    proceeds += quantity * price - 1
                }
            } else if (try? book.split(symbol: symbol, ratio: 2)) != nil {
                held[symbol] = holding * 2
            }
        }
        let heldMatches = symbols.allSatisfy { book.held($0) == held[$0] ?? 0 }
        var disallowed: Decimal = 0, sold: Decimal = 0, inLots: Decimal = 0
        for row in book.realized { disallowed += row.washDisallowed; sold += row.costBasis }
        for lot in book.lots { inLots += lot.costBasis }
        let basisGap = abs(NSDecimalNumber(decimal: paid + disallowed - inLots - sold).doubleValue)
        // Sell everything long after the last trade: nothing is left to replace a loss.
        day = day.adding(days: 400)
        for symbol in symbols {
            let quantity = book.held(symbol)
            guard quantity > 0 else { continue }
            if (try? book.sell(saleID: "end-\(symbol)", symbol: symbol, quantity: quantity, price: 100, fees: 1, on: day)) != nil {
                proceeds += quantity * 100 - 1
            }
        }
        var reported: Decimal = 0
        for row in book.realized { reported += row.reportableGain }
        return ReplayOutcome(heldMatches: heldMatches, basisGap: basisGap, emptyAtEnd: book.lots.isEmpty,
                             gainGap: abs(NSDecimalNumber(decimal: reported - (proceeds - paid)).doubleValue))
    }
}

/// A small deterministic generator for the seeded sequences.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
