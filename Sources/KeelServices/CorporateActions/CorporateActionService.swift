import Foundation
import KeelCore
import KeelStore

/// Splits recorded by an administrator ahead of their ex-date and applied to Keel's books when it begins
/// (`SplitLedger`). Recording the same split again answers the one recorded; a different ratio for the same symbol
/// and day is a conflict.
public struct CorporateActionService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public struct SplitInput: Sendable {
        public var symbol: String?
        public var exDate: String?
        public var newShares: Int?
        public var oldShares: Int?

        public init(symbol: String?, exDate: String?, newShares: Int?, oldShares: Int?) {
            self.symbol = symbol
            self.exDate = exDate
            self.newShares = newShares
            self.oldShares = oldShares
        }
    }

    /// How far ahead a split may be recorded.
    public static let maximumLeadDays = 366

    /// Records a split (admin). Its ex-date must be after today (UTC): on the ex-date Keel may already have traded
    /// or synced in the new shares, and a split applied after that would scale them twice. Returns the record and
    /// whether this call created it.
    public func recordSplit(_ input: SplitInput, by principal: Principal) async throws -> (record: CorporateActionRecord, created: Bool) {
        try principal.ensureAdmin()
        let symbol = try FieldValidation.symbol(input.symbol)
        guard let dayText = input.exDate else { throw ServiceError.invalid("ex_date", "ex_date is required (YYYY-MM-DD)") }
        let exDate = try FieldValidation.day(dayText, field: "ex_date")
        guard let newShares = input.newShares else { throw ServiceError.invalid("new_shares", "new_shares is required (shares after the split per old_shares)") }
        guard let oldShares = input.oldShares else { throw ServiceError.invalid("old_shares", "old_shares is required (shares before the split)") }
        _ = try FieldValidation.range(newShares, 1...10_000, field: "new_shares")
        _ = try FieldValidation.range(oldShares, 1...10_000, field: "old_shares")
        guard newShares != oldShares else { throw ServiceError.invalid("new_shares", "a split changes the share count: new_shares equals old_shares") }
        guard StockSplit.exactRatio(newShares: newShares, oldShares: oldShares) != nil else {
            throw ServiceError.invalid("old_shares", "a \(newShares)-for-\(oldShares) split does not scale share counts exactly "
                                       + "(the ratio must be a decimal of at most \(StockSplit.ratioFractionDigits) places); not supported")
        }
        let now = context.clock.now()
        let today = CivilDay(now)
        guard exDate > today else {
            throw ServiceError.invalid("ex_date", "ex_date must be after today (\(today)): record a split before it takes effect; "
                                       + "for one already in effect, reconcile the account with the broker's books")
        }
        guard exDate.number - today.number <= Self.maximumLeadDays else {
            throw ServiceError.invalid("ex_date", "ex_date is more than \(Self.maximumLeadDays) days ahead")
        }
        let split = StockSplit(symbol: symbol, newShares: newShares, oldShares: oldShares, exDate: exDate)
        return try await context.database.write { session in
            let actionID = "split-" + UUID().uuidString.lowercased()
            let created = try await session.corporateActions.insert(actionID: actionID, split: split, recordedBy: principal.userID, at: now)
            guard let record = try await session.corporateActions.find(symbol: symbol, exDate: exDate) else {
                throw ServiceError.notFound("split of \(symbol) on \(exDate)")
            }
            guard record.split.sameShares(as: split) else {
                throw ServiceError.conflict("conflicting_split", "a \(record.split) is already recorded; a symbol splits once a day", field: "new_shares")
            }
            if created {
                try await session.audit("corporate_action.split_recorded", actor: principal.userID, entityType: "corporate_action", entityID: actionID,
                                        clientID: nil, at: now, details: ["split": split.description])
            }
            return (record, created)
        }
    }

    /// Recorded splits, newest ex-date first (staff), after applying those now due.
    public func splits(symbol: String?, limit: Int?, by principal: Principal) async throws -> [CorporateActionRecord] {
        try principal.ensureStaff()
        let limit = try FieldValidation.range(limit ?? 100, 1...1_000, field: "limit")
        let symbol = try symbol.map { try FieldValidation.symbol($0) }
        try await applyDue()
        return try await context.database.read { try await $0.corporateActions.list(symbol: symbol, limit: limit) }
    }

    /// Applies the splits whose ex-date has begun (also done before every sync, plan, execution and reconciliation).
    @discardableResult
    public func applyDue() async throws -> Int {
        try await SplitLedger.applyDue(context: context).count
    }
}
