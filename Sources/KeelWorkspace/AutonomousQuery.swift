import Foundation
import KeelCore
import KeelML
import KeelServices
import KeelStore
import KeelWeb

/// The autonomous page (staff): the regime over the benchmark, recent cycles, one cycle's steps and account
/// outcomes, paused clients, the controls, and the latest replays of the policy.
public struct AutonomousQuery: Sendable {
    let context: ServiceContext
    let cycles: AutonomousCycleService
    let regimes: RegimeService
    let backtests: BacktestJobs

    public init(context: ServiceContext, cycles: AutonomousCycleService, regimes: RegimeService, backtests: BacktestJobs) {
        self.context = context
        self.cycles = cycles
        self.regimes = regimes
        self.backtests = backtests
    }

    public func load(cycle wanted: String?, done: String?, error: String?, for reader: PageViewer) async throws -> PageOutcome<AutonomousPage.Model> {
        guard reader.isStaff else { return .staffOnly("Autonomous", "Autonomous trading is run by advisors.") }
        let principal = reader.principal
        let symbol = context.settings.cycle.regimeSymbol
        let now = context.clock.now()
        let days = (try? await regimes.history(symbol: symbol, from: now.addingTimeInterval(-365 * 86_400), to: nil, by: principal)) ?? []
        let runs = try await cycles.list(limit: 20, by: principal)
        let chosenID = (wanted ?? runs.first?.cycleID).flatMap { id in runs.contains { $0.cycleID == id } ? id : nil }
        var detail: CycleDetail?
        if let chosenID { detail = try await cycles.get(chosenID, by: principal) }
        let status = try await cycles.status(by: principal)
        let clients = try await context.database.read { try await $0.clients.names(status: .active, limit: 1000) }
        func cycle(_ run: CycleRunRecord) -> AutonomousPage.Model.Cycle {
            .init(cycleID: run.cycleID, cycleDate: run.cycleDate, status: run.status.rawValue, trigger: run.trigger, regime: run.regime,
                  accountsDone: run.accountsDone, accountsTotal: run.accountsTotal)
        }
        var steps: [String: AutonomousPage.Model.Step] = [:]
        for step in detail?.steps ?? [] {
            var entry = steps[step.step] ?? .init(step: step.step, status: step.status.rawValue, runs: 0, milliseconds: 0)
            entry.runs += 1
            entry.milliseconds += step.durationMilliseconds ?? 0
            if step.status == .failed { entry.status = "failed" }
            steps[step.step] = entry
        }
        var model = AutonomousPage.Model(
            viewer: reader.viewer, regimeDays: days.map { .init(date: $0.date, close: $0.inputs.close, regime: $0.regime.rawValue) }, benchmarkSymbol: symbol,
            cycles: runs.map(cycle), selected: detail.map { cycle($0.run) }, steps: CycleStep.allCases.compactMap { steps[$0.rawValue] },
            outcomes: (detail?.accounts ?? []).prefix(500).map { .init(clientID: $0.clientID, accountHash: $0.accountHash, status: $0.status.rawValue,
                                                                        strategy: $0.strategy, reason: $0.reason, orders: $0.orders, outcome: $0.outcome) },
            pausedClients: status.pausedClients.map { ($0.clientID, $0.pauseReason) }, strategies: StrategyKind.allCases.map(\.rawValue),
            killSwitchEngaged: status.killSwitchEngaged, clients: clients.map { ($0.clientID, "\($0.firstName) \($0.lastName)") },
            notice: done.flatMap { AutonomousPage.messages[$0] }, error: error.map { AutonomousPage.messages[$0] ?? "The action failed." })
        // The list carries no results: the latest five finished replays are read whole.
        var finished: [BacktestRecord] = []
        for record in try await backtests.list(limit: 100, by: principal) where record.status == "succeeded" && finished.count < 5 {
            guard (try? BacktestOutcome.decoder.decode(BacktestRequest.self, from: Data(record.request.utf8)))?.strategy == BacktestRequest.autonomous else { continue }
            finished.append(try await backtests.get(record.id, by: principal))
        }
        model.replays = Self.replays(finished)
        return .page(model)
    }

    /// The finished replays of the autonomous policy among recent backtests, with their headline figures.
    static func replays(_ records: [BacktestRecord]) -> [AutonomousPage.Model.Replay] {
        records.compactMap { record -> AutonomousPage.Model.Replay? in
            guard let stored = record.result, let outcome = try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data(stored.utf8)),
                  let replay = outcome.autonomous else { return nil }
            func line(_ f: AutonomousPolicyReplay.Figures) -> String {
                String(format: "%.1f%% a year, Sharpe %.2f, max drawdown %.1f%%", f.cagr * 100, f.sharpe, f.maxDrawdown * 100)
            }
            let summary = "policy \(line(replay.policy)); \(outcome.benchmark ?? "benchmark") \(line(replay.benchmark)); "
                + "\(replay.switches) switches, \(replay.demotions) demotions, \(replay.derisks) de-risks"
            return AutonomousPage.Model.Replay(backtestID: record.id, createdAt: record.createdAt, summary: summary)
        }
    }
}
