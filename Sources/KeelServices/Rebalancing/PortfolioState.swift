import Foundation
import KeelCore
import KeelStore

/// Loads an account's ledger state (cash, positions, latest prices) as one snapshot.
enum PortfolioState {
    static func snapshot(account: AccountRecord, extraSymbols: [String], session: Session) async throws -> (PortfolioSnapshot, [String: LatestPrice]) {
        let positions = try await session.ledger.positions(accountHash: account.accountHash)
        let symbols = Array(Set(positions.map(\.symbol)).union(extraSymbols)).sorted()
        let latest = try await session.marketBars.latestPrices(symbols: symbols)
        let snapshot = PortfolioSnapshot(cash: account.cash, holdings: positions.map(\.holding),
                                         prices: latest.mapValues { Decimal(exactly: $0.close) })
        return (snapshot, latest)
    }
}
