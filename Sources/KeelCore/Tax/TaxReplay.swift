import Foundation

/// Lots, wash sales and taxes replayed in a portfolio backtest with the live code (`TaxLotBook`,
/// `TaxAwareRebalance`): each fill opens or consumes lots; a tax-aware replay adjusts each rebalance's targets by
/// the same rules as the live planner. Taxes are computed per calendar year on the net realised gains (short and
/// long term netted against each other, a net loss carried forward; the $3,000 offset against ordinary income is
/// left out) and paid from outside the portfolio, so both policies compound the same money; the liquidated figure
/// also taxes every lot still held as if sold at the last close. Paid from outside, a tax paid later is worth no more
/// than one paid now; the `fromAccount` figures price that deferral too: each year's tax leaves the portfolio at the
/// year's last bar, so what was paid stops compounding (see `fromAccountScale`).
public struct TaxReplay: Sendable {
    public var settings: TaxAwareRebalance.Settings
    /// Apply the tax rules to the targets (the tax-aware policy) or only keep the books (the naive one).
    public var aware: Bool
    /// A tax-aware replay also harvests losses with the live decisions (`TaxLossHarvesting.retarget`); a symbol
    /// without a listed substitute is paired with its most correlated name (`SubstitutePairing`). Nil: no harvesting.
    public var harvesting: TaxLossHarvesting.Settings?

    public init(settings: TaxAwareRebalance.Settings, aware: Bool, harvesting: TaxLossHarvesting.Settings? = nil) {
        self.settings = settings
        self.aware = aware
        self.harvesting = harvesting
    }

    /// What the replay realised and paid.
    public struct Result: Sendable, Hashable, Codable {
        public var shortTermGains: Double
        public var longTermGains: Double
        public var washSaleDisallowed: Double
        public var taxesPaid: Double
        /// The tax on selling everything still held at the last close.
        public var liquidationTax: Double
        public var preTaxFinal: Double
        public var afterTaxFinal: Double
        public var afterTaxLiquidatedFinal: Double
        /// After tax paid from the account each year (the money paid stops compounding), then after liquidation.
        /// Nil in results stored before the figure existed.
        public var afterTaxFromAccountFinal: Double? = nil
        public var afterTaxFromAccountLiquidatedFinal: Double? = nil
        /// Losses harvested into a substitute (nil: the replay did not harvest).
        public var harvests: Int? = nil
        /// Purchases the wash-sale rule deferred that were made once their window closed, between rebalances, one per
        /// name (nil: the replay was naive, or stored before the figure existed).
        public var deferredPurchases: Int? = nil
    }

    /// The figures of a finished replay: `book` as the replay left it, `finalEquity` its last value, `yearEndEquity` its
    /// value on each calendar year's last bar.
    public func result(book: TaxLotBook, finalEquity: Double, lastPrices: [String: Double], lastDay: CivilDay,
                       yearEndEquity: [Int: Double] = [:]) -> Result {
        let totals = RealizedTotals(book.realized)
        let taxes = Self.yearlyTaxes(book.realized, rates: settings.rates)
        let paid = Self.total(taxes)
        var liquidated = book
        for symbol in Set(book.lots.map(\.symbol)).sorted() {
            guard let price = lastPrices[symbol], price.isFinite, price > 0 else { continue }
            _ = try? liquidated.sell(saleID: "liquidation-\(symbol)", symbol: symbol, quantity: liquidated.held(symbol), price: Decimal(price), fees: 0,
                                     on: lastDay, method: settings.method, rates: settings.rates)
        }
        let liquidation = Self.yearlyTax(liquidated.realized, rates: settings.rates) - paid
        let scale = Self.fromAccountScale(taxes: taxes, yearEndEquity: yearEndEquity, finalEquity: finalEquity)
        return Result(shortTermGains: totals.shortTerm.doubleValue, longTermGains: totals.longTerm.doubleValue,
                      washSaleDisallowed: totals.washDisallowed.doubleValue, taxesPaid: paid.doubleValue,
                      liquidationTax: liquidation.doubleValue, preTaxFinal: finalEquity, afterTaxFinal: finalEquity - paid.doubleValue,
                      afterTaxLiquidatedFinal: finalEquity - paid.doubleValue - liquidation.doubleValue,
                      afterTaxFromAccountFinal: scale * finalEquity, afterTaxFromAccountLiquidatedFinal: scale * (finalEquity - liquidation.doubleValue))
    }

    /// What is left of every later value when each year's tax leaves the portfolio at that year's last bar: the product
    /// of (1 − tax ÷ value then). Exact for a portfolio whose returns do not depend on its size (every tax, loss carried
    /// and gain then scales with it); left out: the tax on the sales that would raise the cash. A year with no recorded
    /// value pays at the end.
    public static func fromAccountScale(taxes: [Int: Decimal], yearEndEquity: [Int: Double], finalEquity: Double) -> Double {
        var scale = 1.0
        for (year, tax) in taxes.sorted(by: { $0.key < $1.key }) where tax > 0 {
            let value = yearEndEquity[year] ?? finalEquity
            guard value > 0, value.isFinite else { return 0 }
            scale *= max(0, 1 - tax.doubleValue / value)
        }
        return scale
    }

    /// The total of `yearlyTaxes`.
    public static func yearlyTax(_ realized: [RealizedLot], rates: TaxRates) -> Decimal {
        total(yearlyTaxes(realized, rates: rates))
    }

    /// Added year by year in order: a decimal sum of long products rounds by the order it is added in, and a
    /// dictionary's order changes from run to run.
    static func total(_ taxes: [Int: Decimal]) -> Decimal {
        taxes.sorted { $0.key < $1.key }.reduce(0) { $0 + $1.value }
    }

    /// Each year's tax on its net realised gains, short and long term netted against each other, net losses
    /// carried forward (short-term losses first against short-term gains, then long-term).
    public static func yearlyTaxes(_ realized: [RealizedLot], rates: TaxRates) -> [Int: Decimal] {
        var byYear: [Int: (short: Decimal, long: Decimal)] = [:]
        for row in realized where row.basisKnown {
            var year = byYear[row.taxYear] ?? (0, 0)
            if row.term == .short { year.short += row.reportableGain } else { year.long += row.reportableGain }
            byYear[row.taxYear] = year
        }
        var carried: (short: Decimal, long: Decimal) = (0, 0)
        var taxes: [Int: Decimal] = [:]
        for yearNumber in byYear.keys.sorted() {
            var (short, long) = byYear[yearNumber] ?? (0, 0)
            short -= carried.short
            long -= carried.long
            // A net loss of one term offsets the other's gain; what is left keeps the character of the larger side.
            if short < 0, long > 0 {
                (short, long) = short + long >= 0 ? (0, short + long) : (short + long, 0)
            } else if long < 0, short > 0 {
                (short, long) = short + long >= 0 ? (short + long, 0) : (0, short + long)
            }
            carried = (max(0, -short), max(0, -long))
            taxes[yearNumber] = max(0, short) * rates.shortTerm + max(0, long) * rates.longTerm
        }
        return taxes
    }
}
