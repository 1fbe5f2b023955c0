import Foundation
import KeelML
import KeelCore
import KeelServices
import KeelStore
import KeelWeb
import Vapor

/// The workspace's autonomous page and its controls (staff). Every action answers a redirect back to the page
/// with a fixed outcome text chosen by code.
struct WorkspaceAutonomousController: RouteCollection {
    struct ControlForm: Content {
        var clientId: Int?
        var reason: String?
        var strategy: String?
        var until: String?
        var engaged: String?

        enum CodingKeys: String, CodingKey { case clientId = "client_id", reason, strategy, until, engaged }
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("autonomous", use: page).openAPI("The autonomous page: regime over the benchmark, cycles, one cycle's outcomes, controls (staff)", response: .html)
        for (action, summary) in [("run", "Start a cycle"), ("pause", "Pause a client"), ("resume", "Resume a client"),
                                  ("override", "Override a client's strategy until a day"), ("kill-switch", "Engage or release the kill switch")] {
            routes.post("autonomous", .constant(action), use: { try await self.act(action, $0) })
                .openAPI("\(summary) (form post): back to the autonomous page", status: .seeOther, response: .redirect)
        }
    }

    static let messages: [String: String] = [
        "run": "A cycle was started.", "pause": "The client is paused.", "resume": "The client is running again.",
        "override": "The override is in force.", "kill-switch": "The kill switch changed.",
        "cycle_running": "A cycle of this day is still running.", "client_id": "Give the id of an existing client.",
        "strategy": "Choose one of the strategies.", "until": "The override needs a day in the future (within a year).",
        "reason": "A reason is required.",
    ]

    func page(req: Request) async throws -> Response {
        let (principal, viewer) = try WebSession.viewer(req)
        guard principal.role.isStaff else {
            return WebSession.page(NoticePage.render(viewer: viewer, title: "Autonomous", message: "Autonomous trading is run by advisors."))
        }
        let keel = req.keel
        let symbol = keel.context.settings.cycle.regimeSymbol
        let now = keel.context.clock.now()
        let days = (try? await keel.regimes.history(symbol: symbol, from: now.addingTimeInterval(-365 * 86_400), to: nil, by: principal)) ?? []
        let runs = try await keel.cycles.list(limit: 20, by: principal)
        let chosenID = (try? req.query.get(String.self, at: "cycle")) ?? runs.first?.cycleID
        let detail = try await chosenID.flatMap { id in runs.contains { $0.cycleID == id } ? id : nil }.asyncMap { try await keel.cycles.get($0, by: principal) }
        let status = try await keel.cycles.status(by: principal)
        let clients = try await keel.context.database.read { try await $0.clients.names(status: .active, limit: 1000) }
        func cycle(_ run: CycleRunRecord) -> AutonomousModel.Cycle {
            .init(cycleID: run.cycleID, cycleDate: run.cycleDate, status: run.status.rawValue, trigger: run.trigger, regime: run.regime,
                  accountsDone: run.accountsDone, accountsTotal: run.accountsTotal)
        }
        var steps: [String: AutonomousModel.Step] = [:]
        for step in detail?.steps ?? [] {
            var entry = steps[step.step] ?? .init(step: step.step, status: step.status.rawValue, runs: 0, milliseconds: 0)
            entry.runs += 1
            entry.milliseconds += step.durationMilliseconds ?? 0
            if step.status == .failed { entry.status = "failed" }
            steps[step.step] = entry
        }
        let ordered = CycleStep.allCases.compactMap { steps[$0.rawValue] }
        let done = (try? req.query.get(String.self, at: "done")).flatMap { Self.messages[$0] }
        let failed = (try? req.query.get(String.self, at: "error")).map { Self.messages[$0] ?? "The action failed." }
        let model = AutonomousModel(
            viewer: viewer, regimeDays: days.map { .init(date: $0.date, close: $0.inputs.close, regime: $0.regime.rawValue) }, benchmarkSymbol: symbol,
            cycles: runs.map(cycle), selected: detail.map { cycle($0.run) }, steps: ordered,
            outcomes: (detail?.accounts ?? []).prefix(500).map { .init(clientID: $0.clientID, accountHash: $0.accountHash, status: $0.status.rawValue,
                                                                        strategy: $0.strategy, reason: $0.reason, orders: $0.orders, outcome: $0.outcome) },
            pausedClients: status.pausedClients.map { ($0.clientID, $0.pauseReason) }, strategies: StrategyKind.allCases.map(\.rawValue),
            killSwitchEngaged: status.killSwitchEngaged, clients: clients.map { ($0.clientID, "\($0.firstName) \($0.lastName)") }, notice: done, error: failed)
        var withReplays = model
        // The list carries no results: the latest five finished replays are read whole.
        var finished: [BacktestRecord] = []
        for record in try await keel.backtests.list(limit: 100, by: principal) where record.status == "succeeded" && finished.count < 5 {
            guard (try? BacktestOutcome.decoder.decode(BacktestRequest.self, from: Data(record.request.utf8)))?.strategy == BacktestRequest.autonomous else { continue }
            finished.append(try await keel.backtests.get(record.id, by: principal))
        }
        withReplays.replays = Self.replays(finished)
        return WebSession.page(AutonomousPage.render(withReplays))
    }

    /// The finished replays of the autonomous policy among recent backtests, with their headline figures.
    static func replays(_ records: [BacktestRecord]) -> [AutonomousModel.Replay] {
        records.compactMap { record -> AutonomousModel.Replay? in
            guard let stored = record.result, let outcome = try? BacktestOutcome.decoder.decode(BacktestOutcome.self, from: Data(stored.utf8)),
                  let replay = outcome.autonomous else { return nil }
            func line(_ f: AutonomousPolicyReplay.Figures) -> String {
                String(format: "%.1f%% a year, Sharpe %.2f, max drawdown %.1f%%", f.cagr * 100, f.sharpe, f.maxDrawdown * 100)
            }
            let summary = "policy \(line(replay.policy)); \(outcome.benchmark ?? "benchmark") \(line(replay.benchmark)); "
                + "\(replay.switches) switches, \(replay.demotions) demotions, \(replay.derisks) de-risks"
            return AutonomousModel.Replay(backtestID: record.id, createdAt: record.createdAt, summary: summary)
        }
    }

    func act(_ action: String, _ req: Request) async throws -> Response {
        let principal = try req.principal
        let form = (try? req.content.decode(ControlForm.self)) ?? ControlForm()
        let keel = req.keel
        do {
            switch action {
            case "run":
                _ = try await keel.cycles.run(CycleRequest(), by: principal)
            case "pause":
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                _ = try await keel.controls.pause(clientID: id, reason: form.reason.flatMap { $0.isEmpty ? nil : $0 }, by: principal)
            case "resume":
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                _ = try await keel.controls.resume(clientID: id, by: principal)
            case "override":
                guard let id = form.clientId else { throw ServiceError.invalid("client_id", "client_id is required") }
                // A day from the form's date input: the override ends at the end of that day (UTC).
                let until = try form.until.flatMap { $0.isEmpty ? nil : try FieldValidation.day($0, field: "until").date.addingTimeInterval(86_399) }
                _ = try await keel.controls.setOverride(clientID: id, strategy: form.strategy, until: until, reason: form.reason, by: principal)
            default:
                _ = try await keel.system.setKillSwitch(engaged: form.engaged == "true", reason: "from the workspace", by: principal)
            }
            return req.redirect(to: "/app/autonomous?done=\(action)", redirectType: .normal)
        } catch let error as ServiceError {
            let code = error.field.flatMap { Self.messages[$0] == nil ? nil : $0 } ?? (error.kind == .notFound ? "client_id" : error.code)
            return req.redirect(to: "/app/autonomous?error=\(Self.messages[code] == nil ? "failed" : code)", redirectType: .normal)
        }
    }
}

extension Optional {
    fileprivate func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
