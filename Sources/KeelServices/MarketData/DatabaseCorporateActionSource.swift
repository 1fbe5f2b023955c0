import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// The recorded splits, read by the paper broker as a real broker reads the exchange's notices.
public struct DatabaseCorporateActionSource: CorporateActionSource {
    let database: KeelDatabase

    public init(database: KeelDatabase) {
        self.database = database
    }

    public func splits(effectiveBy date: Date) async throws -> [StockSplit] {
        try await database.read { try await $0.corporateActions.splits(onOrBefore: CivilDay(date)) }
    }
}
