import Foundation
import KeelServices
import KeelWeb

/// The workspace's first page: the book at a glance (staff); a client login goes to its own page.
public struct OverviewQuery: Sendable {
    let cycles: AutonomousCycleService

    public init(cycles: AutonomousCycleService) {
        self.cycles = cycles
    }

    public func load(for reader: PageViewer) async throws -> PageOutcome<OverviewPage.Model> {
        guard reader.isStaff else {
            if let own = reader.principal.clientID { return .redirect(.client(own)) }
            return .staffOnly("Overview", "The overview of the whole book is for advisors.")
        }
        let data = try await cycles.overview(by: reader.principal)
        return .page(OverviewPage.Model(
            viewer: reader.viewer, assetsUnderManagement: data.assetsUnderManagement, clients: data.totals.activeClients, accounts: data.totals.activeAccounts,
            batchesAwaitingApproval: data.totals.batchesAwaitingApproval, openAlerts: data.totals.openAlerts, regime: data.regime?.regime,
            regimeConfidence: data.regime?.confidence, regimeDay: data.regime?.day,
            lastCycle: data.lastCycle.map { .init(cycleID: $0.cycleID, cycleDate: $0.cycleDate, status: $0.status.rawValue,
                                                  accountsDone: $0.accountsDone, accountsTotal: $0.accountsTotal) },
            nextCycle: data.nextCycle,
            health: .init(database: "ok", dataAgeSeconds: data.dataAgeSeconds, brokers: data.brokers, queuedJobs: data.queuedJobs, runningJobs: data.runningJobs),
            killSwitchEngaged: data.switches.killSwitchEngaged, tradingPaused: data.switches.tradingPaused,
            benchmark: data.benchmark, benchmarkSymbol: data.benchmarkSymbol))
    }
}
