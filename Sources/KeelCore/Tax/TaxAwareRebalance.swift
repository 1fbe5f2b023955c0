import Foundation

/// The tax rules a taxable account's rebalance follows, applied to its target weights before the orders are
/// planned (so cash a skipped sale would have freed is not spent):
/// 1. Never a wash sale by itself: a purchase of a security (or one marked substantially identical) that realised a
///    loss in the last 30 days is skipped, as is a purchase of one whose loss this plan realises; a partial sale that
///    would realise a loss while shares bought in the last 30 days stay held is skipped. (The advisor can ask for it
///    knowingly: `allowWashSales`.) What a held-back purchase would have bought is spread over the plan's other names
///    pro rata, so the account keeps the strategy's exposure instead of holding the cash. A partial sale whose lots
///    (by the client's method) would be washed by shares bought in the last 30 days sells those recent shares first
///    when that avoids the wash sale (the lots it sells are in `chosenLots`).
/// 2. A sale that only corrects drift (the target keeps some of the position) sells its cheapest-tax lots first (the
///    order carries them, in `chosenLots`) and holds back each short-term gain lot whose tax falls enough when it turns
///    long-term: (short rate − long rate) × gain above `driftTaxTolerance` × its value × the years until then (the drift
///    is taken to cost that fraction of the value left over target per year). Long-term gains and losses sell: waiting
///    would only defer their tax. Exits (target 0) sell in full.
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
        /// The account's maximum weight per name: a held-back purchase's weight raises the others at most to it.
        public var maxWeight: Double = 1

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
                              settings: Settings) -> (targets: [String: Double], reasons: [String: String], chosenLots: [String: [String]]) {
        var adjusted = targets
        var reasons: [String: String] = [:]
        var chosenLots: [String: [String]] = [:]
        let total = snapshot.totalValue
        guard total > 0 else { return (targets, [:], [:]) }
        func money(_ value: Decimal) -> String { "$" + NSDecimalNumber(decimal: value.roundedToCents).stringValue }
        func percent(_ weight: Double) -> String { String(format: "%.2f%%", weight * 100) }

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
            let quantity = min(wanted, book.held(symbol))
            guard var sale = trialSale(book, symbol: symbol, quantity: quantity, price: price, on: day, method: settings.method(for: symbol),
                                       rates: settings.rates) else { continue }
            var washed = sale.reduce(Decimal(0)) { $0 + $1.washDisallowed }
            if washed > 0, !settings.allowWashSales, settings.chosenLots[symbol] == nil,
               let avoiding = washAvoidingOrder(symbol: symbol, book: book, price: price, on: day, settings: settings) {
                // Selling the recent shares first leaves none to replace the loss: the same sale without the wash.
                if let second = trialSale(book, symbol: symbol, quantity: quantity, price: price, on: day, method: .specific(avoiding),
                                          rates: settings.rates),
                   second.allSatisfy({ $0.washDisallowed == 0 }) {
                    sale = second
                    washed = 0
                    chosenLots[symbol] = avoiding
                }
            }
            if washed > 0 && !settings.allowWashSales {
                adjusted[symbol] = current
                reasons[symbol] = "not sold: \(money(washed)) of its loss would be disallowed as a wash sale (shares bought in the last 30 days are held)"
                continue
            }
            if sale.contains(where: { $0.basisKnown && $0.gain < 0 }) { lossSold.insert(symbol) }
            guard target > 0 else { continue }
            // A drift sale: the cheapest-tax lots first (a loss, then long-term gains, then short-term), as far as the
            // tolerance allows. The order carries those lots, so the sale sells the lots the tolerance was judged on;
            // when selling them would be a wash sale, the lots go as the client's method (or the recent-first order)
            // sells them, and the tolerance is judged on those.
            let tolerance = Decimal(settings.driftTaxTolerance)
            let sold: Decimal, tax: Decimal
            if let cheapest = cheapestDriftSale(symbol: symbol, quantity: quantity, price: price, book: book, on: day, tolerance: tolerance,
                                                settings: settings) {
                (sold, tax) = (cheapest.sold, cheapest.tax)
                chosenLots[symbol] = cheapest.lots
                if cheapest.realizesLoss { lossSold.insert(symbol) }
            } else {
                (sold, tax) = driftAllowance(sale, on: day, tolerance: tolerance, rates: settings.rates)
                // Fewer shares than were checked can leave recent shares held beside a loss sold: check what is sold.
                if sold > 0, sold < quantity, !settings.allowWashSales,
                   let partial = trialSale(book, symbol: symbol, quantity: sold, price: price, on: day,
                                           method: chosenLots[symbol].map(LotMethod.specific) ?? settings.method(for: symbol), rates: settings.rates),
                   partial.contains(where: { $0.washDisallowed > 0 }) {
                    adjusted[symbol] = current
                    reasons[symbol] = "not sold: the part the tax tolerance allows would realise a loss that shares bought in the last 30 days make a wash sale"
                    continue
                }
            }
            if sold < wanted {
                adjusted[symbol] = max(target, current - ((sold * price) / total).doubleValue)
                let why = "short-term gains that turn long-term soon enough for the lower rate to save more than the drift costs until then"
                reasons[symbol] = sold == 0
                    ? "not sold: its shares are \(why)"
                    : "trimmed to \(NSDecimalNumber(decimal: sold).stringValue) shares: its other shares are \(why)"
            }
            if sold > 0 { driftSales.append((symbol, sold, price, tax)) }
        }

        // The yearly budget: drift sales trimmed, the costliest tax per dollar first.
        if let budget = settings.yearlyGainsBudget {
            var planned: Decimal = 0
            var gains: [String: Decimal] = [:]
            for sale in driftSales {
                let quantity = sale.quantity
                let estimate = book.estimate(symbol: sale.symbol, quantity: quantity, price: sale.price, on: day,
                                             method: chosenLots[sale.symbol].map(LotMethod.specific) ?? settings.method(for: sale.symbol), rates: settings.rates)
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
        guard !settings.allowWashSales else { return (adjusted, reasons, chosenLots) }
        var held: [String] = []
        for (symbol, target) in targets.sorted(by: { $0.key < $1.key }) where target > snapshot.weight(of: symbol) {
            if let loss = book.lossReplaced(buying: symbol, on: day) {
                adjusted[symbol] = snapshot.weight(of: symbol)
                held.append(symbol)
                reasons[symbol] = "not bought: it would disallow the loss \(loss.symbol) realised on \(loss.soldOn) (wash sale); buying is fine from \(loss.soldOn.adding(days: TaxLotBook.washWindowDays + 1))"
            } else if let sold = lossSold.first(where: { book.identical.same($0, symbol) }) {
                adjusted[symbol] = snapshot.weight(of: symbol)
                held.append(symbol)
                reasons[symbol] = "not bought: this plan sells \(sold) at a loss, which buying it would disallow (wash sale)"
            }
        }
        // What a held-back purchase would have bought goes to the plan's other names, not to cash: the account keeps
        // the exposure the strategy chose.
        var heldBack = held.reduce(0.0) { $0 + max(0, (targets[$1] ?? 0) - (adjusted[$1] ?? 0)) }
        // Only names the rules left alone and that could be bought without a wash sale themselves.
        var open = targets.keys.sorted().filter { symbol in
            (targets[symbol] ?? 0) > 0 && reasons[symbol] == nil && (adjusted[symbol] ?? 0) < settings.maxWeight
                && book.lossReplaced(buying: symbol, on: day) == nil && !lossSold.contains { book.identical.same($0, symbol) }
        }
        var raised: [String: Double] = [:]
        // Pro rata to their targets, filling each to the maximum weight at most (each round fills one name or gives
        // everything); what no name can take stays cash.
        for _ in 0...open.count where heldBack > 1e-12 && !open.isEmpty {
            let openWeight = open.reduce(0.0) { $0 + (targets[$1] ?? 0) }
            var given = 0.0
            for symbol in open {
                let share = min(heldBack * (targets[symbol] ?? 0) / openWeight, settings.maxWeight - (adjusted[symbol] ?? 0))
                adjusted[symbol, default: 0] += share
                raised[symbol, default: 0] += share
                given += share
            }
            heldBack -= given
            open.removeAll { (adjusted[$0] ?? 0) >= settings.maxWeight - 1e-12 }
        }
        for (symbol, share) in raised where share > 0 {
            reasons[symbol] = "raised by \(percent(share)) from purchases held back as wash sales"
        }
        return (adjusted, reasons, chosenLots)
    }

    /// The lots of `symbol` with those bought in the last 30 days first (they would replace any loss the sale
    /// realises), then the client's method; nil when none was bought in that window.
    static func washAvoidingOrder(symbol: String, book: TaxLotBook, price: Decimal, on day: CivilDay, settings: Settings) -> [String]? {
        let recent = book.lots.filter {
            $0.symbol == symbol && $0.replacementShares == 0 && $0.acquiredOn <= day && day.number - $0.acquiredOn.number <= TaxLotBook.washWindowDays
        }
        guard !recent.isEmpty else { return nil }
        let ids = Set(recent.map(\.lotID))
        let byMethod = book.order(symbol: symbol, method: settings.method, price: price, on: day, rates: settings.rates)
        return byMethod.filter(ids.contains) + byMethod.filter { !ids.contains($0) }
    }

    /// A drift sale with every lot worth waiting for (`worthWaiting`) moved to the end: how much may be sold (the lots
    /// before those), the lot order the sale must carry, its tax and whether it realises a loss. The lots go in the
    /// first of these orders whose sale is not a wash sale: cheapest tax first (`LotMethod.minimumTax`), the shares
    /// bought in the last 30 days first (they would replace a loss the sale realises), the client's method. Trying each
    /// order, not only the one the client's method would wash, makes the rule give the same answer when it is applied
    /// again to its own result. Nil when a harvest chose the lots, when nothing may be sold, or when every order washes.
    static func cheapestDriftSale(symbol: String, quantity: Decimal, price: Decimal, book: TaxLotBook, on day: CivilDay, tolerance: Decimal,
                                  settings: Settings) -> (sold: Decimal, tax: Decimal, lots: [String], realizesLoss: Bool)? {
        guard settings.chosenLots[symbol] == nil else { return nil }
        let cheapest = book.order(symbol: symbol, method: .minimumTax, price: price, on: day, rates: settings.rates)
        // Every lot as it would sell today, to judge each one.
        guard let rows = trialSale(book, symbol: symbol, quantity: book.held(symbol), price: price, on: day, method: .specific(cheapest),
                                   rates: settings.rates) else { return nil }
        let waiting = Set(rows.filter { worthWaiting($0, on: day, tolerance: tolerance, rates: settings.rates) }.map(\.lotID))
        let sellable = rows.reduce(Decimal(0)) { $0 + (waiting.contains($1.lotID) ? 0 : $1.quantity) }
        let sold = min(quantity, sellable)
        guard sold > 0 else { return nil }
        var candidates = [cheapest]
        if let recentFirst = washAvoidingOrder(symbol: symbol, book: book, price: price, on: day, settings: settings) { candidates.append(recentFirst) }
        candidates.append(book.order(symbol: symbol, method: settings.method, price: price, on: day, rates: settings.rates))
        for order in candidates {
            let lots = order.filter { !waiting.contains($0) } + order.filter(waiting.contains)
            guard let sale = trialSale(book, symbol: symbol, quantity: sold, price: price, on: day, method: .specific(lots), rates: settings.rates),
                  settings.allowWashSales || sale.allSatisfy({ $0.washDisallowed == 0 }) else { continue }
            let tax = sale.reduce(Decimal(0)) { $0 + ($1.basisKnown ? settings.rates.tax(on: $1.reportableGain, term: $1.term) : 0) }
            return (sold, tax, lots, sale.contains { $0.basisKnown && $0.gain < 0 })
        }
        return nil
    }

    /// What selling `quantity` of `symbol` by `method` would realise, the book left as it is (nil: the lots hold too few).
    static func trialSale(_ book: TaxLotBook, symbol: String, quantity: Decimal, price: Decimal, on day: CivilDay, method: LotMethod,
                          rates: TaxRates) -> [RealizedLot]? {
        var trial = book
        return try? trial.sell(saleID: "plan", symbol: symbol, quantity: quantity, price: price, fees: 0, on: day, method: method, rates: rates).realized
    }

    /// The drift rule's test for one lot: a short-term gain is worth holding until it turns long-term when the tax that
    /// waiting saves, (short rate − long rate) × gain, exceeds what the drift costs over the wait, `tolerance` × the
    /// lot's value per year of waiting. Long-term gains and losses are never held back: waiting only defers their tax,
    /// it does not lower it.
    public static func worthWaiting(_ row: RealizedLot, on day: CivilDay, tolerance: Decimal, rates: TaxRates) -> Bool {
        guard row.basisKnown, row.term == .short, row.reportableGain > 0, rates.shortTerm > rates.longTerm else { return false }
        let daysToLongTerm = HoldingTerm.anniversary(of: row.acquiredOn).number + 1 - day.number
        let saved = (rates.shortTerm - rates.longTerm) * row.reportableGain
        return saved > tolerance * row.proceeds * Decimal(max(daysToLongTerm, 0)) / 365
    }

    /// How much of a drift sale may go, selling `rows` in their order: whole rows up to the first one worth waiting
    /// for (`worthWaiting`), and their tax.
    static func driftAllowance(_ rows: [RealizedLot], on day: CivilDay, tolerance: Decimal, rates: TaxRates) -> (sold: Decimal, tax: Decimal) {
        var sold: Decimal = 0, tax: Decimal = 0
        for row in rows {
            if worthWaiting(row, on: day, tolerance: tolerance, rates: rates) { break }
            sold += row.quantity
            tax += row.basisKnown ? rates.tax(on: row.reportableGain, term: row.term) : 0
        }
        return (sold, tax)
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
