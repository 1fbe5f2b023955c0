import Foundation

/// When an order decided on bar t is filled.
public enum FillTiming: String, Sendable, Codable, CaseIterable {
    /// At bar t's close (the signal bar): optimistic, as most quick studies do.
    case close
    /// At bar t+1's open: what a daily strategy can really get.
    case nextOpen = "next-open"
}

/// How far a fill is from the reference price, against the trader.
public enum SlippageModel: Sendable, Hashable, Codable {
    case none
    /// A fixed cost in basis points of the price.
    case fixedBasisPoints(Double)
    /// Impact growing with the order's share of the bar's volume: `impact * (quantity / volume)` as a
    /// fraction of the price, capped at `maxImpact`.
    case volumeShare(impact: Double, maxImpact: Double)

    /// Whether the price depends on the bar's volume (a loop reads the volume column only then).
    @inlinable
    public var readsVolume: Bool {
        if case .volumeShare = self { return true }
        return false
    }

    /// The price an order of `quantity` (signed: + buy, - sell) pays at `reference`.
    @inlinable @inline(__always)
    public func price(reference: Double, quantity: Double, volume: Double) -> Double {
        let fraction: Double
        switch self {
        case .none: return reference
        case .fixedBasisPoints(let bps): fraction = bps / 10_000
        case .volumeShare(let impact, let cap): fraction = volume > 0 ? min(impact * abs(quantity) / volume, cap) : cap
        }
        return quantity > 0 ? reference * (1 + fraction) : reference * (1 - fraction)
    }
}

/// What a fill costs in commission and fees.
public enum CommissionModel: Sendable, Hashable, Codable {
    case none
    case perShare(Double, minimum: Double)
    case perOrder(Double)
    case basisPoints(Double)
    /// Schwab's equity pricing: no commission; on sells the SEC fee (27.80 per million of proceeds) and
    /// FINRA's trading activity fee (0.000166 per share, at most 8.30), each rounded up to the cent.
    case schwabEquities
    /// A percentage of notional, as crypto venues charge (e.g. 25 bps).
    case crypto(basisPoints: Double)

    /// Commission of one fill of `quantity` (signed) at `price`.
    @inlinable @inline(__always)
    public func commission(quantity: Double, price: Double) -> Double {
        let shares = abs(quantity), notional = shares * price
        switch self {
        case .none: return 0
        case .perShare(let rate, let minimum): return max(shares * rate, minimum)
        case .perOrder(let fee): return fee
        case .basisPoints(let bps), .crypto(let bps): return notional * bps / 10_000
        case .schwabEquities:
            guard quantity < 0 else { return 0 }
            let sec = (notional * 27.80 / 1_000_000 * 100).rounded(.up) / 100
            let taf = (min(shares * 0.000166, 8.30) * 100).rounded(.up) / 100
            return sec + taf
        }
    }
}

extension ExecutionModel {
    /// As Keel's live trading fills: orders decided after a close fill at the next session's open, with the
    /// paper broker's 5 bp slippage and Schwab's regulatory fees on sells.
    public static let liveLike = ExecutionModel(timing: .nextOpen, slippage: .fixedBasisPoints(5), commission: .schwabEquities)
    /// Fills at the close the decision saw, at no cost: what no live order gets. Reports call it optimistic.
    public static let sameClose = ExecutionModel(timing: .close, slippage: .none, commission: .none)

    /// How reports name these fills.
    public var label: String {
        let when = timing == .nextOpen ? "next open" : "same close"
        let slip: String = switch slippage {
        case .none: "no slippage"
        case .fixedBasisPoints(let bps): String(format: "%g bp slippage", bps)
        case .volumeShare: "volume-share slippage"
        }
        let fees: String = switch commission {
        case .none: "no fees"
        case .schwabEquities: "Schwab fees"
        case .basisPoints(let bps), .crypto(let bps): String(format: "%g bp fees", bps)
        case .perShare, .perOrder: "broker fees"
        }
        return "\(when), \(slip), \(fees)" + (timing == .close ? " (optimistic)" : "")
    }
}

/// Fill timing, slippage and commission together.
public struct ExecutionModel: Sendable, Hashable, Codable {
    public var timing: FillTiming
    public var slippage: SlippageModel
    public var commission: CommissionModel

    public init(timing: FillTiming = .close, slippage: SlippageModel = .none, commission: CommissionModel = .none) {
        self.timing = timing
        self.slippage = slippage
        self.commission = commission
    }
}
