import Foundation
import KeelStore
import Vapor

/// A split to record: `new_shares` for every `old_shares` from the start of `ex_date`.
struct SplitBody: Content {
    var symbol: String?
    var exDate: String?
    var newShares: Int?
    var oldShares: Int?
}

struct SplitResponse: Content {
    var actionId: String
    var symbol: String
    var kind: String
    var exDate: String
    var newShares: Int
    var oldShares: Int
    /// New shares per old share.
    var ratio: Decimal
    /// `scheduled` until the ex-date begins, then `applied`.
    var status: String
    var recordedBy: String
    var recordedAt: Date
    var appliedAt: Date?
    var accountsAdjusted: Int?
    var batchesExpired: Int?
    /// The price per new share at which a fraction of a share the split leaves is paid in cash, fixed when the split
    /// takes effect (the last close before the ex-date, in new shares); absent before then and when fractions are kept.
    var cashInLieuPrice: Decimal?

    init(_ record: CorporateActionRecord) {
        actionId = record.actionID
        symbol = record.split.symbol
        kind = "split"
        exDate = record.split.exDate.description
        newShares = record.split.newShares
        oldShares = record.split.oldShares
        ratio = record.split.ratio
        status = record.appliedAt == nil ? "scheduled" : "applied"
        recordedBy = record.recordedBy
        recordedAt = record.recordedAt
        appliedAt = record.appliedAt
        accountsAdjusted = record.accountsAdjusted
        batchesExpired = record.batchesExpired
        cashInLieuPrice = record.split.cashInLieuPrice
    }
}
