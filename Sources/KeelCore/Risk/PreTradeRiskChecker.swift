import Foundation

/// The last gate before a broker: checks a whole batch against the account as it is now and the limits.
/// Orders are applied in sequence (sells first, as they will be sent), so cash and weights are judged
/// on the state each order will really meet.
public struct PreTradeRiskChecker: Sendable {
    public struct Context: Sendable {
        public var killSwitchEngaged: Bool
        public var tradingPaused: Bool
        /// Modes this account may run in (live needs a connected live broker, for instance).
        public var allowedModes: Set<TradingMode>
        public var snapshot: PortfolioSnapshot
        /// Latest prices, which the collar compares planned prices with.
        public var latestPrices: [String: Decimal]
        public var tradableSymbols: Set<String>
        public var maxPositionWeight: Double
        /// Why new orders for the account are halted (a reconciliation difference), or nil.
        public var accountHalted: String?

        public init(killSwitchEngaged: Bool, tradingPaused: Bool, allowedModes: Set<TradingMode>, snapshot: PortfolioSnapshot,
                    latestPrices: [String: Decimal], tradableSymbols: Set<String>, maxPositionWeight: Double, accountHalted: String? = nil) {
            self.killSwitchEngaged = killSwitchEngaged
            self.tradingPaused = tradingPaused
            self.allowedModes = allowedModes
            self.snapshot = snapshot
            self.latestPrices = latestPrices
            self.tradableSymbols = tradableSymbols
            self.maxPositionWeight = maxPositionWeight
            self.accountHalted = accountHalted
        }
    }

    public let limits: RiskLimits

    public init(limits: RiskLimits) {
        self.limits = limits
    }

    public func violations(for orders: [PlannedOrder], mode: TradingMode, context: Context) -> [RiskViolation] {
        var found: [RiskViolation] = []
        if context.killSwitchEngaged {
            found.append(RiskViolation(rule: .killSwitch, message: "the kill switch is engaged: no order may be sent"))
        }
        if context.tradingPaused, mode != .dryRun {
            found.append(RiskViolation(rule: .tradingPaused, message: "trading is paused"))
        }
        if let reason = context.accountHalted, mode != .dryRun {
            found.append(RiskViolation(rule: .accountHalted, message: "new orders for this account are halted: \(reason)"))
        }
        if !context.allowedModes.contains(mode) {
            found.append(RiskViolation(rule: .tradingMode, message: "trading mode \(mode.rawValue) is not allowed for this account"))
        }

        var cash = context.snapshot.cash
        var quantities = context.snapshot.holdings.mapValues(\.quantity)
        let buffer = Decimal(exactly: limits.costBuffer)
        let ordered = orders.filter { $0.side == .sell } + orders.filter { $0.side == .buy }
        for order in ordered {
            if !context.tradableSymbols.contains(order.symbol) {
                found.append(RiskViolation(rule: .untradableSymbol, symbol: order.symbol, message: "\(order.symbol) is not a tradable instrument"))
            }
            guard let latest = context.latestPrices[order.symbol], latest > 0 else {
                found.append(RiskViolation(rule: .missingPrice, symbol: order.symbol, message: "no current price for \(order.symbol)"))
                continue
            }
            let move = abs(((latest - order.referencePrice) / order.referencePrice).doubleValue)
            if move > limits.priceCollar {
                found.append(RiskViolation(rule: .priceCollar, symbol: order.symbol, message:
                    "\(order.symbol) moved \(percent(move)) from the planned \(order.referencePrice) to \(latest), beyond the \(percent(limits.priceCollar)) collar: regenerate the batch"))
            }
            let notional = order.quantity * latest
            if notional > limits.maxOrderNotional {
                found.append(RiskViolation(rule: .maxOrderNotional, symbol: order.symbol, message:
                    "order notional \(notional.roundedToCents) exceeds the limit \(limits.maxOrderNotional)"))
            }
            let held = quantities[order.symbol, default: 0]
            switch order.side {
            case .sell:
                if order.quantity > held {
                    found.append(RiskViolation(rule: .insufficientPosition, symbol: order.symbol, message:
                        "selling \(order.quantity) \(order.symbol) but only \(held) is held (no short selling)"))
                }
                cash += notional * (1 - buffer)
                quantities[order.symbol] = held - order.quantity
            case .buy:
                cash -= notional * (1 + buffer)
                quantities[order.symbol] = held + order.quantity
                if cash < 0 {
                    found.append(RiskViolation(rule: .negativeCash, symbol: order.symbol, message:
                        "buying \(order.quantity) \(order.symbol) would leave cash at \(cash.roundedToCents)"))
                }
            }
        }

        // Weights after the whole batch, at latest prices; a price may drift inside the collar, so the cap
        // tolerates the same relative move.
        var after = context.snapshot
        after.cash = cash
        for (symbol, quantity) in quantities {
            after.holdings[symbol] = Holding(symbol: symbol, quantity: quantity, averageCost: context.snapshot.holdings[symbol]?.averageCost ?? 0)
        }
        after.prices.merge(context.latestPrices) { _, latest in latest }
        let tolerance = context.maxPositionWeight * (1 + limits.priceCollar)
        for order in ordered where order.side == .buy {
            let weight = after.weight(of: order.symbol)
            if weight > tolerance {
                found.append(RiskViolation(rule: .maxPositionWeight, symbol: order.symbol, message:
                    "\(order.symbol) would be \(percent(weight)) of the account, above the \(percent(context.maxPositionWeight)) limit"))
            }
        }
        return found
    }

    private func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
}
