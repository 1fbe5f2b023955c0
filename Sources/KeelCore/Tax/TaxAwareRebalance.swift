import Foundation

/// The tax rules a taxable account's rebalance follows, applied to its target weights before the orders are
/// planned (so cash a skipped sale would have freed is not spent):
/// 1. Never a wash sale by itself: a purchase of a security (or one marked substantially identical) that realised a
///    loss in the last 30 days is skipped, as is a purchase of one whose loss this plan realises; a partial sale that
///    would realise a loss while shares bought in the last 30 days stay held is skipped. (The advisor can ask for it
///    knowingly: `allowWashSales`.)
/// 2. A sale that only corrects drift (the target keeps some of the position) sells its cheapest-tax lots first and
///    stops where the tax would exceed `driftTaxTolerance` × the value sold; exits (target 0) sell in full.
/// 3. Drift sales are trimmed, the costliest tax per dollar first, so the year's net realised gains stay within the
///    yearly budget (what was realised before plus this plan).
public enum TaxAwareRebalance {
    public struct Settings: Sendable {
        public var rates: TaxRates
        public var method: LotMethod
        public var driftTaxTolerance: Double
        public var yearlyGainsBudget: Decimal?
        /// Net gains already realised this tax year.
        public var realizedThisYear: Decimal
        public var allowWashSales: Bool
        /// Symbols whose sale sells these lots first (a harvest's loss lots) instead of by `method`.
        public var chosenLots: [String: [String]] = [:]

        public func method(for symbol: String) -> LotMethod { chosenLots[symbol].map(LotMethod.specific) ?? method }

        public init(rates: TaxRates = .standard, method: LotMethod = .fifo, driftTaxTolerance: Double = 0.10, yearlyGainsBudget: Decimal? = nil,
                    realizedThisYear: Decimal = 0, allowWashSales: Bool = false) {
            self.rates = rates
            self.method = method
            self.driftTaxTolerance = driftTaxTolerance
            self.yearlyGainsBudget = yearlyGainsBudget
            self.realizedThisYear = realizedThisYear
            self.allowWashSales = allowWashSales
        }
    }

    /// The adjusted targets and, per symbol changed, why.
    public static func adjust(targets: [String: Double], snapshot: PortfolioSnapshot, book: TaxLotBook, on day: CivilDay,
                              settings: Settings) -> (targets: [String: Double], reasons: [String: String]) {
        var adjusted = targets
        var reasons: [String: String] = [:]
        let total = snapshot.totalValue
        guard total > 0 else { return (targets, [:]) }
        func money(_ value: Decimal) -> String { "$" + NSDecimalNumber(decimal: value.roundedToCents).stringValue }

        // Sales first: which realise a loss (their identical securities must not be bought), which are trimmed.
        var lossSold: Set<String> = []
        var driftSales: [(symbol: String, quantity: Decimal, price: Decimal, tax: Decimal)] = []
        for symbol in snapshot.holdings.keys.sorted() {
            guard let price = snapshot.prices[symbol], price > 0 else { continue }
            let current = snapshot.weight(of: symbol), target = targets[symbol] ?? 0
            guard target < current else { continue }
            let held = snapshot.quantity(of: symbol)
            let wanted = min(held, Decimal((current - target)) * total / price)
            guard wanted > 0 else { continue }
            var trial = book
            guard let sale = try? trial.sell(saleID: "plan", symbol: symbol, quantity: min(wanted, book.held(symbol)), price: price, fees: 0,
                                             on: day, method: settings.method(for: symbol), rates: settings.rates) else { continue }
            let washed = sale.realized.reduce(Decimal(0)) { $0 + $1.washDisallowed }
            if washed > 0 && !settings.allowWashSales {
                adjusted[symbol] = current
                reasons[symbol] = "not sold: \(money(washed)) of its loss would be disallowed as a wash sale (shares bought in the last 30 days are held)"
                continue
            }
            if sale.realized.contains(where: { $0.basisKnown && $0.gain < 0 }) { lossSold.insert(symbol) }
            guard target > 0 else { continue }
            // A drift sale: the cheapest-tax lots first, as far as the tolerance allows.
            var sold: Decimal = 0, tax: Decimal = 0
            let tolerance = Decimal(settings.driftTaxTolerance)
            for row in sale.realized.sorted(by: { taxPerShare($0, settings.rates) < taxPerShare($1, settings.rates) }) {
                let rowTax = row.basisKnown ? settings.rates.tax(on: row.reportableGain, term: row.term) : 0
                if tax + rowTax <= tolerance * (sold + row.quantity) * price {
                    sold += row.quantity
                    tax += rowTax
                    continue
                }
                // Failing here means this lot's tax per share exceeds the tolerance: only part of it fits.
                let perShare = rowTax / row.quantity
                let part = min(max((tolerance * price * sold - tax) / (perShare - tolerance * price), 0), row.quantity)
                sold += part
                tax += perShare * part
                break
            }
            if sold < wanted {
                adjusted[symbol] = max(target, current - ((sold * price) / total).doubleValue)
                reasons[symbol] = sold == 0
                    ? "not sold: the tax (\(money(sale.realized.reduce(Decimal(0)) { $0 + ($1.basisKnown ? settings.rates.tax(on: $1.reportableGain, term: $1.term) : 0) }))) would exceed \(Int(settings.driftTaxTolerance * 100))% of the drift it corrects"
                    : "trimmed to \(NSDecimalNumber(decimal: sold).stringValue) shares: selling more would cost more than \(Int(settings.driftTaxTolerance * 100))% of the drift it corrects in tax"
            }
            if sold > 0 { driftSales.append((symbol, sold, price, tax)) }
        }

        // The yearly budget: drift sales trimmed, the costliest tax per dollar first.
        if let budget = settings.yearlyGainsBudget {
            var planned: Decimal = 0
            var gains: [String: Decimal] = [:]
            for sale in driftSales {
                let quantity = sale.quantity
                let estimate = book.estimate(symbol: sale.symbol, quantity: quantity, price: sale.price, on: day, method: settings.method(for: sale.symbol),
                                             rates: settings.rates)
                gains[sale.symbol] = estimate.shortTerm + estimate.longTerm
                planned += estimate.shortTerm + estimate.longTerm
            }
            var over = settings.realizedThisYear + planned - budget
            for sale in driftSales.sorted(by: { $0.tax / max($0.quantity * $0.price, 1) > $1.tax / max($1.quantity * $1.price, 1) }) where over > 0 {
                guard let gain = gains[sale.symbol], gain > 0 else { continue }
                let cut = min(gain, over)
                let keepShare = (gain - cut) / gain
                let keptQuantity = sale.quantity * keepShare
                let current = snapshot.weight(of: sale.symbol)
                adjusted[sale.symbol] = current - ((keptQuantity * sale.price) / total).doubleValue
                reasons[sale.symbol] = "trimmed to keep this year's net realised gains within the budget of \(money(budget))"
                over -= cut
            }
        }

        // Purchases: none that would make a loss (realised recently or in this plan) a wash sale.
        guard !settings.allowWashSales else { return (adjusted, reasons) }
        for (symbol, target) in targets.sorted(by: { $0.key < $1.key }) where target > snapshot.weight(of: symbol) {
            if let loss = book.lossReplaced(buying: symbol, on: day) {
                adjusted[symbol] = snapshot.weight(of: symbol)
                reasons[symbol] = "not bought: it would disallow the loss \(loss.symbol) realised on \(loss.soldOn) (wash sale); buying is fine from \(loss.soldOn.adding(days: TaxLotBook.washWindowDays + 1))"
            } else if let sold = lossSold.first(where: { book.identical.same($0, symbol) }) {
                adjusted[symbol] = snapshot.weight(of: symbol)
                reasons[symbol] = "not bought: this plan sells \(sold) at a loss, which buying it would disallow (wash sale)"
            }
        }
        return (adjusted, reasons)
    }

    static func taxPerShare(_ row: RealizedLot, _ rates: TaxRates) -> Decimal {
        guard row.basisKnown, row.quantity > 0 else { return 0 }
        return rates.tax(on: row.reportableGain, term: row.term) / row.quantity
    }

    /// The estimated realised gain and tax of each sell order (by the lot method), for the batch's notes.
    public struct Estimate: Sendable, Hashable, Codable {
        public var shortTermGain: Decimal
        public var longTermGain: Decimal
        public var tax: Decimal

        enum CodingKeys: String, CodingKey { case shortTermGain = "short_term_gain", longTermGain = "long_term_gain", tax }
    }

    /// A harvest's sale (in `settings.chosenLots`) is estimated on its chosen lots, the others by the client's method.
    public static func estimates(_ orders: [PlannedOrder], book: TaxLotBook, on day: CivilDay, settings: Settings) -> [String: Estimate] {
        var result: [String: Estimate] = [:]
        for order in orders where order.side == .sell {
            let estimate = book.estimate(symbol: order.symbol, quantity: order.quantity, price: order.referencePrice, on: day,
                                         method: settings.method(for: order.symbol), rates: settings.rates)
            result[order.symbol] = Estimate(shortTermGain: estimate.shortTerm.roundedToCents, longTermGain: estimate.longTerm.roundedToCents,
                                            tax: estimate.tax.roundedToCents)
        }
        return result
    }
}
