import Foundation
import KeelCore
import KeelStore

/// The preferences a new client starts with: diversified, approval required, paper trading.
enum PreferencesDefaults {
    static func make(clientID: Int, portfolioID: Int, by actor: String, at now: Date) -> PreferencesRecord {
        PreferencesRecord(clientID: clientID, portfolioID: portfolioID, maxPositions: 10, maxWeight: 0.25, cashBuffer: 0.02,
                          driftThreshold: 0.03, excludedSymbols: [], requireApproval: true, tradingMode: .paper,
                          updatedBy: actor, updatedAt: now)
    }
}
