import Foundation
import KeelCore
import KeelStore

/// Fixes, once, the price at which each split in effect pays a fraction of a share in cash: the last close Keel has
/// before the ex-date, in new shares (`StockSplit.cashInLieuPrice(lastCloseBefore:)`). Whichever reader sees the
/// split first fixes it (Keel's ledger applying it, or the paper broker reading its books) with a conditional UPDATE,
/// so both pay the same price however they race. No price (and so no cash) for symbols that trade in fractions, or
/// when no close before the ex-date is stored: then the fractions stay held, as the books held them before.
enum CashInLieuPricing {
    /// Fixes the price of every split in effect by `day` that has none yet, in the caller's write transaction.
    static func fixDue(onOrBefore day: CivilDay, session: Session, now: Date) async throws {
        for action in try await session.corporateActions.unpriced(onOrBefore: day) {
            _ = try await fix(action, session: session, now: now)
        }
    }

    /// The split with its price as fixed (by this call, or by whoever fixed it first).
    static func fix(_ action: CorporateActionRecord, session: Session, now: Date) async throws -> StockSplit {
        guard action.pricedAt == nil else { return action.split }
        let split = action.split
        var price: Decimal?
        if !AssetClass.inferred(fromSymbol: split.symbol).tradesFractionally,
           let close = try await session.marketBars.close(symbol: split.symbol, before: split.effectiveAt) {
            price = split.cashInLieuPrice(lastCloseBefore: close)
        }
        try await session.corporateActions.fixCashInLieuPrice(actionID: action.actionID, price: price, at: now)
        guard let fixed = try await session.corporateActions.find(actionID: action.actionID) else {
            throw StoreError.corrupt("corporate action \(action.actionID) vanished while its cash-in-lieu price was fixed")
        }
        return fixed.split
    }
}
