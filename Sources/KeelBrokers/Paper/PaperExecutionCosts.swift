import Foundation
import KeelCore

/// How the paper broker prices a fill: the latest price moved against the trader by the slippage, plus
/// commission per order and as a fraction of notional.
public struct PaperExecutionCosts: Sendable, Hashable {
    public var slippageBasisPoints: Decimal
    public var commissionPerOrder: Decimal
    public var commissionRate: Decimal

    public init(slippageBasisPoints: Decimal = 5, commissionPerOrder: Decimal = 0, commissionRate: Decimal = 0) {
        self.slippageBasisPoints = slippageBasisPoints
        self.commissionPerOrder = commissionPerOrder
        self.commissionRate = commissionRate
    }

    public func fillPrice(last: Decimal, side: OrderSide) -> Decimal {
        let slip = slippageBasisPoints / 10_000
        let price = side == .buy ? last * (1 + slip) : last * (1 - slip)
        // Sub-dollar prices keep four decimals, as exchanges quote them.
        return price >= 1 ? price.roundedToCents : price.rounded(scale: 4)
    }

    public func commission(notional: Decimal) -> Decimal {
        (commissionPerOrder + notional * commissionRate).roundedToCents
    }
}
