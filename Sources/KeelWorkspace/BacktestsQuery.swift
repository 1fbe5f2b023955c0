import Foundation
import KeelCore
import KeelML
import KeelServices
import KeelStore
import KeelWeb

/// The backtests page (staff): the run form, the list, and one backtest's report drawn from its stored outcome.
public struct BacktestsQuery: Sendable {
    let context: ServiceContext
    let backtests: BacktestJobs

    public init(context: ServiceContext, backtests: BacktestJobs) {
        self.context = context
        self.backtests = backtests
    }

    public func load(backtest wanted: String?, form: BacktestsPage.Model.Form = .init(), for reader: PageViewer) async throws -> PageOutcome<BacktestsPage.Model> {
        guard reader.isStaff else { return .staffOnly("Backtests", "Backtests are run by advisors.") }
        let records = try await backtests.list(limit: 100, by: reader.principal)
        let portfolios = try await context.database.read { try await $0.referenceData.modelPortfolios() }
        var report: BacktestsPage.Model.Report?
        if let wanted, let record = try? await backtests.get(wanted, by: reader.principal) { report = Self.report(record) }
        let strategies = BacktestRequest.portfolioStrategies.sorted() + BacktestRequest.signalStrategies.sorted() + portfolios.map { "model:\($0.id)" }
        return .page(BacktestsPage.Model(viewer: reader.viewer, strategies: strategies, rows: records.map(Self.row), report: report, form: form))
    }
}
