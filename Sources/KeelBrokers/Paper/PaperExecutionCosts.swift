import Foundation
import KeelCore

/// How the paper broker prices a fill, as Schwab charges it: the latest price moved against the trader by the
/// slippage; equities commission-free (a per-order and per-notional commission can be set), with the SEC fee
/// and FINRA's trading activity fee on sells; crypto a fee in basis points of notional.
public struct PaperExecutionCosts: Sendable, Hashable {
    public var slippageBasisPoints: Decimal
    public var commissionPerOrder: Decimal
    public var commissionRate: Decimal
    /// SEC Section 31 fee on the notional of equity sells ($27.80 per million, rounded up to the cent).
    public var secFeeRate: Decimal = Decimal(string: "0.0000278")!
    /// FINRA trading activity fee per share sold ($0.000166, at most $8.30 per trade, rounded up to the cent).
    public var finraFeePerShare: Decimal = Decimal(string: "0.000166")!
    public var finraFeeMaximum: Decimal = Decimal(string: "8.30")!
    /// Crypto trades pay this many basis points of notional.
    public var cryptoFeeBasisPoints: Decimal = 25
    /// The most of a bar's volume one order may fill in that bar (the rest waits for the next bar).
    public var maxVolumeParticipation: Decimal = Decimal(string: "0.1")!
    /// Orders wait while their market is closed; off, the paper broker fills at any hour (a demonstration).
    public var keepsMarketHours = true

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

    /// Everything one fill costs beyond its price: commission, regulatory fees on equity sells, crypto fees.
    public func fees(side: OrderSide, notional: Decimal, quantity: Decimal, assetClass: AssetClass) -> Decimal {
        var total = commission(notional: notional)
        switch assetClass {
        case .crypto:
            total += (notional * cryptoFeeBasisPoints / 10_000).roundedToCents
        default:
            if side == .sell {
                total += Self.roundedUpToCents(notional * secFeeRate)
                total += max(Decimal(string: "0.01")!, Self.roundedUpToCents(min(quantity * finraFeePerShare, finraFeeMaximum)))
            }
        }
        return total
    }

    static func roundedUpToCents(_ value: Decimal) -> Decimal {
        var input = value * 100, result = Decimal()
        NSDecimalRound(&result, &input, 0, .up)
        return result / 100
    }
}
