import Foundation

/// Turns target weights and current holdings into orders: whole shares for equities, lots for crypto,
/// no dust, sells before buys, and never more buying than the cash the plan will have.
public struct RebalancePlanner: Sendable {
    public struct Settings: Sendable {
        /// Orders below this notional are not worth their costs and are skipped.
        public var minimumOrderNotional: Decimal
        /// A held symbol whose weight is within this distance of its target is left alone.
        public var driftThreshold: Double
        /// Headroom on buy prices for slippage and commission, so fills cannot overdraw the cash.
        public var buyCostBuffer: Double

        public init(minimumOrderNotional: Decimal = 10, driftThreshold: Double = 0, buyCostBuffer: Double = 0.005) {
            self.minimumOrderNotional = minimumOrderNotional
            self.driftThreshold = driftThreshold
            self.buyCostBuffer = buyCostBuffer
        }
    }

    public struct Plan: Sendable {
        public var orders: [PlannedOrder]
        /// Symbols whose change was too small to trade.
        public var skippedAsDust: [String]
        /// Symbols within the drift threshold of their target.
        public var withinDriftThreshold: [String]
        /// Symbols that have a target or a holding but no price, so could not be planned.
        public var unpriced: [String]
        public var portfolioValue: Decimal
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func plan(snapshot: PortfolioSnapshot, targets: [String: Double], instruments: [String: Instrument]) -> Plan {
        let total = snapshot.totalValue
        var sells: [PlannedOrder] = []
        var buys: [PlannedOrder] = []
        var dust: [String] = []
        var withinThreshold: [String] = []
        var unpriced: [String] = []
        let symbols = Set(targets.keys.filter { (targets[$0] ?? 0) > 0 }).union(snapshot.holdings.keys.filter { snapshot.quantity(of: $0) > 0 })

        for symbol in symbols.sorted() {
            guard let price = snapshot.prices[symbol], price > 0 else {
                unpriced.append(symbol)
                continue
            }
            let increment = instruments[symbol]?.quantityIncrement
                ?? Instrument(symbol: symbol, assetClass: .inferred(fromSymbol: symbol), name: symbol).quantityIncrement
            let held = snapshot.quantity(of: symbol)
            // The total once per plan: `snapshot.weight(of:)` would value the whole book again for every symbol.
            let currentWeight = total > 0 ? (snapshot.marketValue(of: symbol) / total).doubleValue : 0
            let targetWeight = max(targets[symbol] ?? 0, 0)
            let exiting = targetWeight == 0 && held > 0

            if !exiting, held > 0, abs(currentWeight - targetWeight) < settings.driftThreshold {
                withinThreshold.append(symbol)
                continue
            }
            let targetQuantity = Decimal(exactly: targetWeight) * total / price
            let change = exiting ? -held : targetQuantity - held
            let quantity: Decimal
            let side: OrderSide
            if change > 0 {
                side = .buy
                quantity = change.floored(toMultipleOf: increment)
            } else {
                side = .sell
                // An exit sells exactly what is held (fractional remainders included); a trim rounds toward holding.
                quantity = exiting ? held : min((-change).floored(toMultipleOf: increment), held)
            }
            let order = PlannedOrder(symbol: symbol, side: side, quantity: quantity, referencePrice: price,
                                     currentWeight: currentWeight, targetWeight: targetWeight)
            guard quantity > 0, order.estimatedNotional >= settings.minimumOrderNotional else {
                if quantity != 0 || change != 0 { dust.append(symbol) }
                continue
            }
            if side == .sell { sells.append(order) } else { buys.append(order) }
        }

        buys = fitToCash(buys, snapshot: snapshot, sells: sells, instruments: instruments, dust: &dust)
        return Plan(orders: sells + buys, skippedAsDust: dust.sorted(), withinDriftThreshold: withinThreshold,
                    unpriced: unpriced, portfolioValue: total)
    }

    /// Scales buys down together when the cash after sells cannot pay for them with the cost buffer.
    private func fitToCash(_ buys: [PlannedOrder], snapshot: PortfolioSnapshot, sells: [PlannedOrder],
                           instruments: [String: Instrument], dust: inout [String]) -> [PlannedOrder] {
        let buffer = Decimal(exactly: settings.buyCostBuffer)
        let proceeds = sells.reduce(Decimal(0)) { $0 + $1.quantity * $1.referencePrice * (1 - buffer) }
        let available = max(snapshot.cash + proceeds, 0)
        let cost = buys.reduce(Decimal(0)) { $0 + $1.quantity * $1.referencePrice * (1 + buffer) }
        guard cost > available, cost > 0 else { return buys }
        let factor = available / cost
        var fitted: [PlannedOrder] = []
        for var order in buys {
            let increment = instruments[order.symbol]?.quantityIncrement
                ?? Instrument(symbol: order.symbol, assetClass: .inferred(fromSymbol: order.symbol), name: order.symbol).quantityIncrement
            order.quantity = (order.quantity * factor).floored(toMultipleOf: increment)
            if order.quantity > 0, order.estimatedNotional >= settings.minimumOrderNotional {
                fitted.append(order)
            } else {
                dust.append(order.symbol)
            }
        }
        return fitted
    }
}
