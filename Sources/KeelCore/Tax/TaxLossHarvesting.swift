import Foundation

/// Tax-loss harvesting decisions on an account's lots (pure; the planner trades them for the daily cycle): which loss
/// lots to sell into which substitute, and when a substitute may be swapped back.
/// - A position is harvested when its loss lots together lose at least `minimumLoss` and at least
///   `minimumLossPercent` of their basis; only the loss lots are sold (specific lots).
/// - Never a wash sale: not when identical shares bought in the last 30 days would stay held (the loss would be
///   disallowed), and not into a substitute that is identical to the security or that realised a loss in the last
///   30 days (buying it would disallow that loss). A security without a configured substitute is not harvested.
/// - A substitute bought by a harvest is swapped back once 31 days have passed, when selling it costs at most
///   `swapBackTaxTolerance` of its value in tax (a loss or a small gain), and no loss of the original (or anything
///   identical to it) was realised in the last 30 days (buying it back would disallow that loss).
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
            guard book.lossReplaced(buying: substitute, on: day) == nil else { continue }
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
            guard book.lossReplaced(buying: entry.original, on: day) == nil else { continue }
            let quantity = book.held(substitute)
            guard quantity > 0 else { continue }
            let estimate = book.estimate(symbol: substitute, quantity: quantity, price: price, on: day, method: .minimumTax, rates: settings.rates)
            guard estimate.tax <= Decimal(settings.swapBackTaxTolerance) * quantity * price else { continue }
            found.append(SwapBack(substitute: substitute, original: entry.original, quantity: quantity, gain: estimate.shortTerm + estimate.longTerm))
        }
        return found
    }

    /// A harvest the account holds now: `substitute` stands in for `original` since `harvestedOn`.
    public struct InForce: Sendable, Hashable {
        public var original: String
        public var substitute: String
        public var harvestedOn: CivilDay

        public init(original: String, substitute: String, harvestedOn: CivilDay) {
            self.original = original
            self.substitute = substitute
            self.harvestedOn = harvestedOn
        }
    }

    /// The targets with harvesting applied, what it decided, and why (per symbol).
    public struct Retargeted: Sendable {
        public var targets: [String: Double]
        public var harvests: [Harvest]
        public var swapBacks: [SwapBack]
        public var notes: [String: String]
    }

    /// Applies harvesting to an account's target weights (the strategy's, after the tax rules):
    /// - a harvest in force keeps its substitute in the original's place (the original keeps at most what is held
    ///   of it, the rest of its target goes to the substitute) until it may be swapped back; then the targets are
    ///   left as the strategy wants them, which sells the substitute and buys the original;
    /// - a new harvest sells the loss lots of a name the strategy still wants: the name keeps at most its other
    ///   lots' weight, and the substitute takes the rest of its target. A name the strategy exits is sold anyway
    ///   (its loss is realised without a substitute), and a substitute already held or wanted is not doubled up.
    ///   `harvestNew` false: only the harvests in force are kept (a plan outside the daily cycle).
    /// `targets`: after the tax rules (which hold an original whose loss was just realised); `wanted`: the strategy's
    /// own, before them (what the substitute stands in for; defaults to `targets`).
    public static func retarget(_ targets: [String: Double], wanted: [String: Double]? = nil, snapshot: PortfolioSnapshot, book: TaxLotBook,
                                on day: CivilDay, inForce: [InForce], settings: Settings, harvestNew: Bool = true) -> Retargeted {
        let wanted = wanted ?? targets
        var targets = targets
        var notes: [String: String] = [:]
        let total = snapshot.totalValue.doubleValue
        guard total > 0 else { return Retargeted(targets: targets, harvests: [], swapBacks: [], notes: [:]) }
        func weight(_ symbol: String, _ quantity: Decimal) -> Double {
            guard let price = snapshot.prices[symbol] else { return 0 }
            return (quantity * price).doubleValue / total
        }
        func standIn(_ original: String, by substitute: String, keeping held: Double) {
            let keep = min(targets[original] ?? 0, max(0, held))
            targets[original] = keep
            targets[substitute, default: 0] += max(0, max(wanted[original] ?? 0, targets[original] ?? 0) - keep)
        }
        let active = inForce.filter { book.held($0.substitute) > 0 }
        let harvested = Dictionary(active.map { ($0.substitute, (original: $0.original, boughtOn: $0.harvestedOn)) }, uniquingKeysWith: { first, _ in first })
        let swapBacks = swapBacks(book: book, prices: snapshot.prices, on: day, harvested: harvested, settings: settings)
        let goingBack = Set(swapBacks.map(\.substitute))
        for harvest in active where !goingBack.contains(harvest.substitute) {
            standIn(harvest.original, by: harvest.substitute, keeping: snapshot.weight(of: harvest.original))
            notes[harvest.original] = "its loss was harvested on \(harvest.harvestedOn): \(harvest.substitute) stands in for it until it can be swapped back"
        }
        for swap in swapBacks {
            notes[swap.substitute] = "swapped back to \(swap.original): 31 days have passed and selling it realises \(swap.gain.roundedToCents) (within the tax tolerance)"
        }
        var busy = Set(active.flatMap { [$0.original, $0.substitute] })
        var harvests: [Harvest] = []
        for harvest in harvestNew ? Self.harvests(book: book, prices: snapshot.prices, on: day, settings: settings) : [] {
            guard !busy.contains(harvest.symbol), !busy.contains(harvest.substitute) else { continue }
            guard (wanted[harvest.symbol] ?? 0) > 0 else { continue }
            guard snapshot.prices[harvest.substitute] != nil else {
                notes[harvest.symbol] = "not harvested: its substitute \(harvest.substitute) has no fresh price"
                continue
            }
            guard (targets[harvest.substitute] ?? 0) == 0, book.held(harvest.substitute) == 0, snapshot.quantity(of: harvest.substitute) == 0 else {
                notes[harvest.symbol] = "not harvested: its substitute \(harvest.substitute) is already held or wanted"
                continue
            }
            standIn(harvest.symbol, by: harvest.substitute, keeping: weight(harvest.symbol, book.held(harvest.symbol) - harvest.quantity))
            notes[harvest.symbol] = "harvested: \(harvest.quantity) shares in \(harvest.lotIDs.count) loss lot(s) sold at a loss of \((-harvest.loss).roundedToCents) into \(harvest.substitute), about \(harvest.taxSaved.roundedToCents) of tax saved"
            busy.formUnion([harvest.symbol, harvest.substitute])
            harvests.append(harvest)
        }
        return Retargeted(targets: targets, harvests: harvests, swapBacks: swapBacks, notes: notes)
    }
}
