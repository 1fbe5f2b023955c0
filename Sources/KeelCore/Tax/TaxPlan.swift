import Foundation

/// A taxable account's targets through every tax decision, in the one order the live planner and the backtest both
/// use: the tax rules on the strategy's targets (`TaxAwareRebalance`), harvesting on the result
/// (`TaxLossHarvesting.retarget`), then the rules again on what harvesting changed, with each harvest's sale
/// selling its loss lots, so no harvest, stand-in or swap-back makes a wash sale the rules would refuse. A harvest
/// whose sale the rules then hold back is dropped.
public enum TaxPlan {
    public struct Result: Sendable {
        public var targets: [String: Double]
        /// Per symbol: what the rules and harvesting changed, and why.
        public var reasons: [String: String]
        public var harvests: [TaxLossHarvesting.Harvest]
        public var swapBacks: [TaxLossHarvesting.SwapBack]
        /// The lots each harvest's sale sells first.
        public var chosenLots: [String: [String]]
    }

    public static func targets(_ wanted: [String: Double], snapshot: PortfolioSnapshot, book: TaxLotBook, on day: CivilDay,
                               settings: TaxAwareRebalance.Settings, harvesting: TaxLossHarvesting.Settings?,
                               inForce: [TaxLossHarvesting.InForce], harvestNew: Bool) -> Result {
        let ruled = TaxAwareRebalance.adjust(targets: wanted, snapshot: snapshot, book: book, on: day, settings: settings)
        guard let harvesting else {
            return Result(targets: ruled.targets, reasons: ruled.reasons, harvests: [], swapBacks: [], chosenLots: ruled.chosenLots)
        }
        let retargeted = TaxLossHarvesting.retarget(ruled.targets, wanted: wanted, snapshot: snapshot, book: book, on: day, inForce: inForce,
                                                    settings: harvesting, harvestNew: harvestNew)
        var again = settings
        again.chosenLots = Dictionary(retargeted.harvests.map { ($0.symbol, $0.lotIDs) }, uniquingKeysWith: { first, _ in first })
        let final = TaxAwareRebalance.adjust(targets: retargeted.targets, snapshot: snapshot, book: book, on: day, settings: again)
        // A harvest happens only when its name is still sold and its substitute still bought.
        let harvests = retargeted.harvests.filter { harvest in
            (final.targets[harvest.symbol] ?? 0) < snapshot.weight(of: harvest.symbol)
                && (final.targets[harvest.substitute] ?? 0) > snapshot.weight(of: harvest.substitute)
        }
        var reasons = ruled.reasons.merging(retargeted.notes) { first, second in first + "; " + second }
        reasons.merge(final.reasons) { first, second in first == second || first.contains(second) ? first : first + "; " + second }
        var targets = final.targets
        var chosenLots = final.chosenLots.merging(harvests.map { ($0.symbol, $0.lotIDs) }) { _, harvest in harvest }
        for dropped in retargeted.harvests where !harvests.contains(dropped) {
            // Undone: the name back to the rules' target and the lots they chose for it, the substitute (neither held
            // nor wanted) to nothing.
            targets[dropped.symbol] = ruled.targets[dropped.symbol]
            chosenLots[dropped.symbol] = ruled.chosenLots[dropped.symbol]
            targets[dropped.substitute] = 0
            reasons[dropped.symbol] = "not harvested: the tax rules hold back its sale or its substitute's purchase"
        }
        return Result(targets: targets, reasons: reasons, harvests: harvests, swapBacks: retargeted.swapBacks,
                      chosenLots: chosenLots)
    }

    /// Each harvest's sale sells at least its loss lots: a plan's rounding or drift threshold may sell fewer, and a
    /// recent lot left held would make the loss a wash sale (more is harmless: the lots kept are a subset of those
    /// the harvest was checked with). A harvested name the plan does not sell gets its sale.
    public static func sellingHarvestsInFull(_ orders: [PlannedOrder], harvests: [TaxLossHarvesting.Harvest], snapshot: PortfolioSnapshot,
                                             targets: [String: Double]) -> [PlannedOrder] {
        var orders = orders
        for harvest in harvests {
            let held = snapshot.quantity(of: harvest.symbol)
            let quantity = min(harvest.quantity, held)
            guard quantity > 0 else { continue }
            if let index = orders.firstIndex(where: { $0.symbol == harvest.symbol && $0.side == .sell }) {
                orders[index].quantity = max(orders[index].quantity, quantity)
            } else if let price = snapshot.prices[harvest.symbol] {
                // Sales go first, as the planner orders them.
                orders.insert(PlannedOrder(symbol: harvest.symbol, side: .sell, quantity: quantity, referencePrice: price,
                                           currentWeight: snapshot.weight(of: harvest.symbol), targetWeight: targets[harvest.symbol] ?? 0), at: 0)
            }
        }
        return orders
    }
}
