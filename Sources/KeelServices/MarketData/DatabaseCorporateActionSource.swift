import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// The recorded splits, read by the paper broker as a real broker reads the exchange's notices. A split in effect gets
/// its cash-in-lieu price fixed here when the ledger has not fixed it yet (`CashInLieuPricing`): the broker's books
/// never pay a fraction at a price Keel's ledger would not.
public struct DatabaseCorporateActionSource: CorporateActionSource {
    let database: KeelDatabase

    public init(database: KeelDatabase) {
        self.database = database
    }

    public func splits(effectiveBy date: Date) async throws -> [StockSplit] {
        let day = CivilDay(date)
        let effective = try await database.read { try await $0.corporateActions.effective(onOrBefore: day) }
        guard effective.contains(where: { $0.pricedAt == nil }) else { return effective.map(\.split) }
        return try await database.write { session in
            try await CashInLieuPricing.fixDue(onOrBefore: day, session: session, now: date)
            return try await session.corporateActions.effective(onOrBefore: day).map(\.split)
        }
    }
}
