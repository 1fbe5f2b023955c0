import Foundation
@testable import KeelCore

/// The kernel's rules written plainly, as the benchmark's numba loop writes them: the drift test by division, lots by
/// division and `rounded(.down)`. The kernel's shortcuts (the reciprocal's drift estimate, no division for whole shares,
/// the inline floor) must reach the same quantities, outcomes and portfolio values bit for bit on any book.
enum PlainRebalanceRules {
    static func plan(_ book: RebalanceKernel.Book, settings: RebalanceKernel.Settings) -> RebalanceKernel.Orders {
        var quantities = [Double](repeating: 0, count: book.accounts * book.assets)
        var outcomes = [RebalanceKernel.Outcome](repeating: .none, count: book.accounts * book.assets)
        var values = [Double](repeating: 0, count: book.accounts)
        let shared = book.targets.count != book.quantities.count
        for account in 0..<book.accounts {
            let row = account * book.assets
            values[account] = planAccount(book: book, row: row, targetRow: shared ? 0 : row, account: account, settings: settings,
                                          quantities: &quantities, outcomes: &outcomes)
        }
        return RebalanceKernel.Orders(quantities: quantities, outcomes: outcomes, portfolioValues: values)
    }

    static func planAccount(book: RebalanceKernel.Book, row: Int, targetRow: Int, account: Int, settings: RebalanceKernel.Settings,
                            quantities: inout [Double], outcomes: inout [RebalanceKernel.Outcome]) -> Double {
        let cash = book.cash[account]
        var total = cash + (book.otherValue.isEmpty ? 0 : book.otherValue[account])
        for j in 0..<book.assets where book.prices[j] > 0 { total += book.quantities[row + j] * book.prices[j] }
        guard total.isFinite, cash.isFinite else { return total }
        let cap = settings.maxWeight, drift = settings.driftThreshold
        let minimum = RebalanceKernel.minimumInCents(settings.minimumOrderNotional)
        func lots(_ quantity: Double, _ increment: Double) -> Double { (quantity / increment + 1e-9).rounded(.down) }
        func worth(_ notional: Double) -> Bool { notional * 100 + 0.5 >= minimum }
        var proceeds = 0.0, buying = 0.0
        for j in 0..<book.assets {
            let quantity = book.quantities[row + j], price = book.prices[j], raw = book.targets[targetRow + j]
            let target = raw > 0 ? raw : (raw.isNaN ? quantity * price / total : 0)
            guard quantity > 0 || target > 0 else { continue }
            guard price > 0 else { outcomes[row + j] = .unpriced; continue }
            let exiting = target == 0
            if !exiting, quantity > 0, total > 0 ? abs(quantity * price / total - target) < drift : abs(target) < drift {
                outcomes[row + j] = .withinDriftThreshold
                continue
            }
            var wanted = target * total / price
            if wanted > quantity { wanted = max(quantity, min(target, cap) * total / price) }
            let change = exiting ? -quantity : wanted - quantity
            let increment = book.increments[j]
            let traded = change > 0 ? lots(change, increment) * increment
                : (exiting ? quantity : min(lots(-change, increment) * increment, quantity))
            guard traded > 0, worth(traded * price) else {
                if change != 0 { outcomes[row + j] = .dust }
                continue
            }
            outcomes[row + j] = .order
            quantities[row + j] = change > 0 ? traded : -traded
            if change > 0 { buying += traded * price } else { proceeds += traded * price }
        }
        guard buying > 0 else { return total }
        // The shrink factor is the kernel's own: what this oracle checks is the per-name arithmetic around it.
        let factor = RebalanceKernel.buyScale(cash: cash, proceeds: proceeds, buying: buying, total: total, settings: settings)
        guard factor < 1 else { return total }
        for j in 0..<book.assets where quantities[row + j] > 0 {
            let increment = book.increments[j]
            let scaled = (quantities[row + j] * factor / increment).rounded(.down) * increment
            if scaled > 0, worth(scaled * book.prices[j]) {
                quantities[row + j] = scaled
            } else {
                quantities[row + j] = 0
                outcomes[row + j] = .dust
            }
        }
        return total
    }
}
