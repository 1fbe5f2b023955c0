import Foundation

/// The arithmetic of a rebalance for many accounts at once, on flat columns: each account's orders to its target
/// weights in whole lots, no dust, sells before buys, buys scaled down together so they neither overdraw the cash
/// (with the cost buffer) nor take it below the cash buffer, and no buy taking a name above the maximum weight.
/// `RebalancePlanner` runs every plan through it (one row), so the cycle, manual rebalances and the backtests share it.
///
/// Doubles, not decimals: a target weight is a double already, and what becomes money (a quantity) leaves as a whole
/// number of lots that the planner turns back into an exact decimal. Floors take a tolerance of 1e-9 of a lot, so a
/// quotient that is a whole number of lots in decimal arithmetic (0.3 x 1000 / 100) is not one lot short in binary.
public enum RebalanceKernel {
    public struct Settings: Sendable, Hashable {
        /// Orders below this notional (rounded to cents) are dust.
        public var minimumOrderNotional: Double
        /// A held name within this distance of its target weight is left alone.
        public var driftThreshold: Double
        /// Headroom on buys (and haircut on sells) for slippage and commission.
        public var buyCostBuffer: Double
        /// No buy takes a name above this weight; a name already above it is not sold for it (a tax rule or stale
        /// data may hold it there).
        public var maxWeight: Double
        /// Buys leave at least this share of the account in cash (at the plan's prices).
        public var cashBuffer: Double

        public init(minimumOrderNotional: Double = 10, driftThreshold: Double = 0, buyCostBuffer: Double = 0.005,
                    maxWeight: Double = .infinity, cashBuffer: Double = 0) {
            self.minimumOrderNotional = minimumOrderNotional
            self.driftThreshold = driftThreshold
            self.buyCostBuffer = buyCostBuffer
            self.maxWeight = maxWeight
            self.cashBuffer = cashBuffer
        }
    }

    /// What became of one account's name.
    public enum Outcome: UInt8, Sendable {
        /// Neither held nor wanted.
        case none = 0
        case order = 1
        /// A change too small to be worth an order.
        case dust = 2
        case withinDriftThreshold = 3
        /// Held or wanted, but no price to plan with.
        case unpriced = 4
    }

    /// Accounts x assets, account-major. `targets` holds one row shared by every account (a model portfolio) or
    /// one row per account. `otherValue` is what an account holds outside these columns (names without a price valued
    /// at cost); empty means nothing.
    public struct Book: Sendable {
        public var accounts: Int
        public var assets: Int
        public var quantities: [Double]
        public var cash: [Double]
        public var otherValue: [Double]
        /// A price <= 0 (or NaN) marks the name unpriced.
        public var prices: [Double]
        /// The lot each name trades in (1 for shares, 1e-6 for crypto).
        public var increments: [Double]
        public var targets: [Double]

        public init(accounts: Int, assets: Int, quantities: [Double], cash: [Double], otherValue: [Double] = [], prices: [Double],
                    increments: [Double], targets: [Double]) {
            precondition(accounts >= 0 && assets >= 0 && quantities.count == accounts * assets && cash.count == accounts
                         && (otherValue.isEmpty || otherValue.count == accounts) && prices.count == assets && increments.count == assets
                         && (targets.count == assets || targets.count == accounts * assets), "RebalanceKernel.Book: columns of the wrong length")
            self.accounts = accounts
            self.assets = assets
            self.quantities = quantities
            self.cash = cash
            self.otherValue = otherValue
            self.prices = prices
            self.increments = increments
            self.targets = targets
        }
    }

    /// Per cell: the signed quantity (+ buy, - sell) and its outcome; per account: the value planned on.
    public struct Orders: Sendable {
        public var quantities: [Double]
        public var outcomes: [Outcome]
        public var portfolioValues: [Double]
    }

    static let lotTolerance = 1e-9

    public static func plan(_ book: Book, settings: Settings) -> Orders {
        let cells = book.accounts * book.assets
        var values = [Double](repeating: 0, count: book.accounts)
        var outcomes: [Outcome] = []
        // `planAccount` writes every cell of its row, so the columns are not filled beforehand (a pass over 4.5 MB for
        // 10,000 accounts x 50 names that would leave the cache before the rows are planned).
        let quantities = [Double](unsafeUninitializedCapacity: cells) { quantityOut, quantityCount in
            outcomes = [Outcome](unsafeUninitializedCapacity: cells) { outcomeOut, outcomeCount in
                values.withUnsafeMutableBufferPointer { valueOut in
                    book.quantities.withUnsafeBufferPointer { held in
                        book.targets.withUnsafeBufferPointer { targets in
                            book.prices.withUnsafeBufferPointer { prices in
                                book.increments.withUnsafeBufferPointer { increments in
                                    let shared = book.targets.count != book.quantities.count
                                    for account in 0..<book.accounts {
                                        let row = account * book.assets
                                        let other = book.otherValue.isEmpty ? 0 : book.otherValue[account]
                                        valueOut[account] = planAccount(
                                            held: UnsafeBufferPointer(rebasing: held[row..<row + book.assets]),
                                            targets: shared ? targets : UnsafeBufferPointer(rebasing: targets[row..<row + book.assets]),
                                            prices: prices, increments: increments, cash: book.cash[account], otherValue: other,
                                            settings: settings,
                                            quantities: UnsafeMutableBufferPointer(rebasing: quantityOut[row..<row + book.assets]),
                                            outcomes: UnsafeMutableBufferPointer(rebasing: outcomeOut[row..<row + book.assets]))
                                    }
                                }
                            }
                        }
                    }
                }
                outcomeCount = cells
            }
            quantityCount = cells
        }
        return Orders(quantities: quantities, outcomes: outcomes, portfolioValues: values)
    }

    /// One account's row; returns the portfolio value it planned on.
    @inline(__always)
    static func planAccount(held: UnsafeBufferPointer<Double>, targets: UnsafeBufferPointer<Double>, prices: UnsafeBufferPointer<Double>,
                            increments: UnsafeBufferPointer<Double>, cash: Double, otherValue: Double, settings: Settings,
                            quantities: UnsafeMutableBufferPointer<Double>, outcomes: UnsafeMutableBufferPointer<Outcome>) -> Double {
        let assets = held.count
        var total = cash + otherValue
        for j in 0..<assets where prices[j] > 0 { total += held[j] * prices[j] }
        // An account whose books are not numbers is not planned at all.
        guard total.isFinite, cash.isFinite else {
            for j in 0..<assets {
                quantities[j] = 0
                outcomes[j] = .none
            }
            return total
        }
        let cap = settings.maxWeight, drift = settings.driftThreshold, minimum = minimumInCents(settings.minimumOrderNotional)
        let inverseTotal = 1 / total
        var proceeds = 0.0, buying = 0.0
        for j in 0..<assets {
            // Every cell starts as no order; the rules below overwrite it while its cache line is at hand.
            quantities[j] = 0
            outcomes[j] = .none
            let quantity = held[j], price = prices[j]
            // A target that is not a number holds the name rather than selling it.
            let target = targets[j] > 0 ? targets[j] : (targets[j].isNaN ? quantity * price / total : 0)
            guard quantity > 0 || target > 0 else { continue }
            guard price > 0 else { outcomes[j] = .unpriced; continue }
            let exiting = target == 0
            if !exiting, quantity > 0,
               total > 0 ? isWithinDrift(quantity * price, total: total, inverseTotal: inverseTotal, target: target, drift: drift) : abs(target) < drift {
                outcomes[j] = .withinDriftThreshold
                continue
            }
            var wanted = target * total / price
            if wanted > quantity { wanted = max(quantity, min(target, cap) * total / price) }
            let change = exiting ? -quantity : wanted - quantity
            let increment = increments[j]
            let traded: Double
            if change > 0 {
                traded = lots(change, increment) * increment
            } else {
                // An exit sells exactly what is held (fractions included); a trim rounds toward holding.
                traded = exiting ? quantity : min(lots(-change, increment) * increment, quantity)
            }
            guard traded > 0, isWorthAnOrder(traded * price, minimum) else {
                if change != 0 { outcomes[j] = .dust }
                continue
            }
            outcomes[j] = .order
            if change > 0 {
                quantities[j] = traded
                buying += traded * price
            } else {
                quantities[j] = -traded
                proceeds += traded * price
            }
        }
        guard buying > 0 else { return total }
        let factor = buyScale(cash: cash, proceeds: proceeds, buying: buying, total: total, settings: settings)
        guard factor < 1 else { return total }
        for j in 0..<assets where quantities[j] > 0 {
            let increment = increments[j]
            // No tolerance here: the scaled buy must stay within the cash.
            let scaled = inLots(quantities[j] * factor, increment).flooredInline * increment
            if scaled > 0, isWorthAnOrder(scaled * prices[j], minimum) {
                quantities[j] = scaled
            } else {
                quantities[j] = 0
                outcomes[j] = .dust
            }
        }
        return total
    }

    /// The factor an account's buys shrink by together (1 when they fit): to what the cash after sells pays with the
    /// cost buffer, and to what leaves the cash buffer.
    @inline(__always)
    static func buyScale(cash: Double, proceeds: Double, buying: Double, total: Double, settings: Settings) -> Double {
        let buffer = settings.buyCostBuffer
        var factor = 1.0
        let available = max(cash + proceeds * (1 - buffer), 0), cost = buying * (1 + buffer)
        if cost > available { factor = available / cost }
        if settings.cashBuffer > 0 {
            let spendable = max(cash + proceeds - settings.cashBuffer * total, 0)
            if buying > spendable { factor = min(factor, spendable / buying) }
        }
        return factor
    }

    /// `abs(value / total - target) < drift`, decided exactly as that expression decides it, but dividing only when it
    /// must: the product with the reciprocal differs from the quotient by a few units in the last place, so unless it
    /// lands within 1e-15 (relative) of the threshold it gives the same answer. The divider's throughput bounds this loop.
    @inline(__always)
    static func isWithinDrift(_ value: Double, total: Double, inverseTotal: Double, target: Double, drift: Double) -> Bool {
        let estimate = value * inverseTotal
        let distance = abs(estimate - target), margin = 1e-15 * (abs(estimate) + abs(target) + drift)
        if distance < drift - margin { return true }
        if distance > drift + margin { return false }
        return abs(value / total - target) < drift
    }

    /// Whole lots in `quantity`, allowing for binary rounding just below a whole number.
    @inline(__always)
    static func lots(_ quantity: Double, _ increment: Double) -> Double {
        (inLots(quantity, increment) + lotTolerance).flooredInline
    }

    /// `quantity / increment`. Most names trade in whole shares, and x / 1 is x exactly in IEEE arithmetic: skipping the
    /// division there (a quarter of a cell's work) changes no result.
    @inline(__always)
    static func inLots(_ quantity: Double, _ increment: Double) -> Double {
        increment == 1 ? quantity : quantity / increment
    }

    /// Whether a notional rounded to cents (half away from zero, as the ledger rounds) reaches the minimum, given the
    /// minimum as `minimumInCents` gives it: floor(v) >= n holds exactly when v >= n for a whole n, so neither the
    /// floor nor the division by 100 is needed.
    @inline(__always)
    static func isWorthAnOrder(_ notional: Double, _ minimumCents: Double) -> Bool {
        notional * 100 + 0.5 >= minimumCents
    }

    /// The fewest whole cents n whose n / 100 reaches `minimum`: a notional rounded to cents reaches the minimum exactly
    /// when its cents reach n.
    public static func minimumInCents(_ minimum: Double) -> Double {
        guard !minimum.isNaN else { return .nan }
        guard minimum > 0 else { return -.infinity }
        let estimate = (minimum * 100).rounded(.up)
        // Beyond 2^52 cents (45 trillion dollars) every double is whole; the estimate is the answer.
        guard estimate < 4_503_599_627_370_496 else { return estimate }
        var cents = estimate
        while cents / 100 < minimum { cents += 1 }
        while cents > 0, (cents - 1) / 100 >= minimum { cents -= 1 }
        return cents
    }
}
