import Foundation

/// Tax-loss harvesting decisions on an account's lots (pure; the cycle step that trades them is not built yet):
/// which loss lots to sell into which substitute, and when a substitute may be swapped back.
/// - A position is harvested when its loss lots together lose at least `minimumLoss` and at least
///   `minimumLossPercent` of their basis; only the loss lots are sold (specific lots).
/// - Never a wash sale: not when identical shares bought in the last 30 days would stay held (the loss would be
///   disallowed), and not into a substitute that is identical to the security or that realised a loss in the last
///   30 days (buying it would disallow that loss). A security without a configured substitute is not harvested.
/// - A substitute bought by a harvest is swapped back once 31 days have passed, when selling it costs at most
///   `swapBackTaxTolerance` of its value in tax (a loss or a small gain).
public enum TaxLossHarvesting {
    public struct Settings: Sendable {
        public var minimumLoss: Decimal
        public var minimumLossPercent: Double
        /// Symbol → the non-identical security bought in its place (configure both directions for a pair).
        public var substitutes: [String: String]
        public var rates: TaxRates
        public var swapBackTaxTolerance: Double

        public init(minimumLoss: Decimal = 500, minimumLossPercent: Double = 0.05, substitutes: [String: String], rates: TaxRates = .standard,
                    swapBackTaxTolerance: Double = 0.01) {
            self.minimumLoss = minimumLoss
            self.minimumLossPercent = minimumLossPercent
            self.substitutes = substitutes
            self.rates = rates
            self.swapBackTaxTolerance = swapBackTaxTolerance
        }
    }

    public struct Harvest: Sendable, Hashable {
        public var symbol: String
        public var lotIDs: [String]
        public var quantity: Decimal
        /// The loss realised (negative).
        public var loss: Decimal
        public var substitute: String
        /// The tax the loss saves at the client's rates (by each lot's term).
        public var taxSaved: Decimal
    }

    public static func harvests(book: TaxLotBook, prices: [String: Decimal], on day: CivilDay, settings: Settings) -> [Harvest] {
        var found: [Harvest] = []
        for symbol in Set(book.lots.map(\.symbol)).sorted() {
            guard let price = prices[symbol], price > 0, let substitute = settings.substitutes[symbol.uppercased()],
                  !book.identical.same(symbol, substitute) else { continue }
            let losing = book.lots.filter { $0.symbol == symbol && $0.basisKnown && $0.quantity > 0 && price < $0.basisPerShare }
            let quantity = losing.reduce(Decimal(0)) { $0 + $1.quantity }
            let basis = losing.reduce(Decimal(0)) { $0 + $1.costBasis }
            let loss = quantity * price - basis
            guard quantity > 0, -loss >= settings.minimumLoss, basis > 0, (-loss / basis).doubleValue >= settings.minimumLossPercent else { continue }
            // Buying the substitute must not disallow a recent loss on it (or on anything identical to it).
            guard !book.realized.contains(where: { $0.unmatchedLossShares > 0 && book.identical.same($0.symbol, substitute)
                                                    && day.number - $0.soldOn.number <= TaxLotBook.washWindowDays }) else { continue }
            var trial = book
            guard let sale = try? trial.sell(saleID: "harvest", symbol: symbol, quantity: quantity, price: price, fees: 0, on: day,
                                             method: .specific(losing.map(\.lotID)), rates: settings.rates),
                  sale.realized.allSatisfy({ $0.washDisallowed == 0 }) else { continue }
            let saved = sale.realized.reduce(Decimal(0)) { $0 - settings.rates.tax(on: $1.reportableGain, term: $1.term) }
            found.append(Harvest(symbol: symbol, lotIDs: losing.map(\.lotID), quantity: quantity, loss: loss, substitute: substitute, taxSaved: saved))
        }
        return found
    }

    public struct SwapBack: Sendable, Hashable {
        public var substitute: String
        public var original: String
        public var quantity: Decimal
        /// The gain selling the substitute realises (taxed within the tolerance).
        public var gain: Decimal

        public init(substitute: String, original: String, quantity: Decimal, gain: Decimal) {
            self.substitute = substitute
            self.original = original
            self.quantity = quantity
            self.gain = gain
        }
    }

    /// Substitutes bought by harvests (`harvested`: substitute → the original and the day it was bought) that may go
    /// back: 31 days or more after the purchase, and selling them costs at most the tolerance in tax.
    public static func swapBacks(book: TaxLotBook, prices: [String: Decimal], on day: CivilDay,
                                 harvested: [String: (original: String, boughtOn: CivilDay)], settings: Settings) -> [SwapBack] {
        var found: [SwapBack] = []
        for (substitute, entry) in harvested.sorted(by: { $0.key < $1.key }) {
            guard day.number - entry.boughtOn.number > TaxLotBook.washWindowDays, let price = prices[substitute], price > 0 else { continue }
            let quantity = book.held(substitute)
            guard quantity > 0 else { continue }
            let estimate = book.estimate(symbol: substitute, quantity: quantity, price: price, on: day, method: .minimumTax, rates: settings.rates)
            guard estimate.tax <= Decimal(settings.swapBackTaxTolerance) * quantity * price else { continue }
            found.append(SwapBack(substitute: substitute, original: entry.original, quantity: quantity, gain: estimate.shortTerm + estimate.longTerm))
        }
        return found
    }
}
