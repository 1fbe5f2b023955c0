import Foundation
import KeelCore
import KeelStore

/// What the planner needs to plan taxable accounts by the tax rules: each account's lots and recent loss sales, the
/// substantially identical groups, the client's preferences and the gains it realised this year; for clients who
/// harvest losses, the substitute pairs and the harvests in force. Read once for a chunk of accounts (five
/// statements, seven when any client harvests, whatever its size); tax-deferred accounts get none.
enum TaxPlanning {
    struct Account: Sendable {
        var book: TaxLotBook
        var settings: TaxAwareRebalance.Settings
        /// Nil: the client does not harvest losses.
        var harvesting: Harvesting?
    }

    struct Harvesting: Sendable {
        var settings: TaxLossHarvesting.Settings
        var inForce: [TaxHarvestRecord]
    }

    static func books(for accounts: [(account: AccountRecord, clientID: Int)], session: Session, now: Date) async throws -> [String: Account] {
        guard !accounts.isEmpty else { return [:] }
        let clientIDs = Array(Set(accounts.map(\.clientID))).sorted()
        let preferences = try await session.taxPreferences.find(clientIDs: clientIDs)
        let taxable = accounts.filter { preferences[$0.clientID]?.isTaxable(accountType: $0.account.accountType) ?? true }
        guard !taxable.isEmpty else { return [:] }
        let hashes = taxable.map(\.account.accountHash)
        let today = CivilDay(now)
        let lots = try await session.taxLots.lots(accountHashes: hashes)
        let losses = try await session.taxLots.openLosses(accountHashes: hashes, since: today.adding(days: -TaxLotBook.washWindowDays))
        let identical = try await session.taxLots.identicalGroups()
        let realized = try await session.taxPreferences.realizedNet(clientIDs: Array(Set(taxable.map(\.clientID))), year: today.components.year)
        let harvesting = taxable.filter { preferences[$0.clientID]?.harvest == true }.map(\.account.accountHash)
        let substitutes = harvesting.isEmpty ? [:] : try await session.taxHarvests.substitutes()
        let inForce = try await session.taxHarvests.inForce(accountHashes: harvesting)
        var books: [String: Account] = [:]
        for (account, clientID) in taxable {
            let preference = preferences[clientID] ?? TaxPreferencesRecord(clientID: clientID)
            books[account.accountHash] = Account(
                book: TaxLotBook(lots: lots[account.accountHash] ?? [], realized: losses[account.accountHash] ?? [], identical: identical),
                settings: TaxAwareRebalance.Settings(rates: preference.rates, method: preference.lotMethod, driftTaxTolerance: preference.driftTaxTolerance,
                                                     yearlyGainsBudget: preference.yearlyGainsBudget, realizedThisYear: realized[clientID] ?? 0),
                harvesting: preference.harvest
                    ? Harvesting(settings: TaxLossHarvesting.Settings(minimumLoss: preference.harvestMinimumLoss,
                                                                      minimumLossPercent: preference.harvestMinimumLossPercent,
                                                                      substitutes: substitutes, rates: preference.rates),
                                 inForce: inForce[account.accountHash] ?? [])
                    : nil)
        }
        return books
    }
}
