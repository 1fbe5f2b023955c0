import Foundation
import KeelCore

/// How the paper broker decides one order, as a real exchange and broker would: nothing fills while the
/// market is closed (the order waits); a limit order fills only when the price reaches its limit; one bar
/// fills at most a share of its volume (a large order fills over several bars); each fill pays the fees of its
/// asset class; a buy the cash cannot cover or a sell beyond the position is refused.
struct PaperOrderMatching: Sendable {
    let costs: PaperExecutionCosts

    /// The order after one matching step at `now`, against `quote` and the account's books; unchanged when
    /// nothing can happen yet.
    func step(_ order: BrokerOrder, quote: BrokerQuote?, account: BrokerAccountSnapshot, now: Date) -> BrokerOrder {
        guard !order.status.isFinal else { return order }
        var next = order
        func refuse(_ reason: String) -> BrokerOrder {
            next.rejectReason = reason
            next.status = next.fills.isEmpty ? .rejected : .cancelled
            return next
        }
        let assetClass = quote?.assetClass ?? AssetClass.inferred(fromSymbol: order.symbol)
        guard !costs.keepsMarketHours || MarketHours.forAssetClass(assetClass).isOpen(at: now) else {
            if next.status == .accepted { next.status = .working }
            return next
        }
        guard let quote else { return refuse("no price for \(order.symbol)") }
        // One fill per bar: after a fill, the order waits for a bar newer than that fill.
        if let last = order.fills.last, quote.time <= last.time { return next }
        var price = costs.fillPrice(last: quote.last, side: order.side)
        if order.orderType == .limit, let limit = order.limitPrice {
            switch order.side {
            case .buy:
                guard quote.last <= limit else { next.status = order.fills.isEmpty ? .working : .partiallyFilled; return next }
                price = min(price, limit)
            case .sell:
                guard quote.last >= limit else { next.status = order.fills.isEmpty ? .working : .partiallyFilled; return next }
                price = max(price, limit)
            }
        }
        let remaining = order.quantity - order.filledQuantity
        var quantity = remaining
        if let volume = quote.volume {
            var cap = volume * costs.maxVolumeParticipation
            // Whole shares for equities; crypto trades in fractions.
            var rounded = Decimal()
            NSDecimalRound(&rounded, &cap, assetClass == .crypto ? 6 : 0, .down)
            guard rounded > 0 else { next.status = order.fills.isEmpty ? .working : .partiallyFilled; return next }
            quantity = min(remaining, rounded)
        }
        let notional = quantity * price
        let fees = costs.fees(side: order.side, notional: notional, quantity: quantity, assetClass: assetClass)
        let held = account.positions.first { $0.symbol == order.symbol }?.quantity ?? 0
        if order.side == .buy, notional + fees > account.cash {
            return refuse("insufficient cash: needs \((notional + fees).roundedToCents), has \(account.cash.roundedToCents)")
        }
        if order.side == .sell, quantity > held {
            return refuse("insufficient position: selling \(quantity) \(order.symbol), holding \(held)")
        }
        next.fills.append(BrokerFill(fillID: "\(order.brokerOrderID)-\(order.fills.count + 1)", clientOrderKey: order.clientOrderKey,
                                     symbol: order.symbol, side: order.side, quantity: quantity, price: price, commission: fees,
                                     time: now))
        next.status = quantity == remaining ? .filled : .partiallyFilled
        return next
    }
}
