import Foundation
import KeelCore
import KeelStore

/// What the planner needs to plan taxable accounts by the tax rules: each account's lots and recent loss sales, the
/// substantially identical groups, the client's preferences and the gains it realised this year. Read once for a
/// chunk of accounts (five statements, whatever its size); tax-deferred accounts get none.
enum TaxPlanning {
    struct Account: Sendable {
        var book: TaxLotBook
        var settings: TaxAwareRebalance.Settings
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
        var books: [String: Account] = [:]
        for (account, clientID) in taxable {
            let preference = preferences[clientID] ?? TaxPreferencesRecord(clientID: clientID)
            books[account.accountHash] = Account(
                book: TaxLotBook(lots: lots[account.accountHash] ?? [], realized: losses[account.accountHash] ?? [], identical: identical),
                settings: TaxAwareRebalance.Settings(rates: preference.rates, method: preference.lotMethod, driftTaxTolerance: preference.driftTaxTolerance,
                                                     yearlyGainsBudget: preference.yearlyGainsBudget, realizedThisYear: realized[clientID] ?? 0))
        }
        return books
    }
}
