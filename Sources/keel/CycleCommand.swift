import ArgumentParser
import Foundation
import KeelServices
import KeelStore

/// `keel cycle run [--wait] [--json]` and `keel cycle status`: the autonomous daily cycle from the command line.
struct CycleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cycle", abstract: "Run the autonomous daily cycle, or show its status.",
                                                    subcommands: [CycleRunCommand.self, CycleStatusCommand.self])
}

struct CycleRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Start a cycle over all active clients (or --clients).")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Comma-separated client ids (default: every active client).") var clients: String?
    @Flag(help: "Plan and simulate; send no order.") var dryRun = false
    @Flag(help: "Run the cycle's jobs in this process and wait until it ends.") var wait = false
    @Flag(help: "Print the cycle as JSON.") var json = false

    func run() async throws {
        let ids = try clients.map { text in
            try text.split(separator: ",").map { part -> Int in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--clients must be comma-separated client ids, e.g. 1,2,3") }
                return id
            }
        }
        let wait = self.wait, dryRun = self.dryRun
        let detail = try await CLIApplication.run(database: database, worker: wait) { services -> CycleDetail in
            let run = try await services.cycles.run(CycleRequest(clientIDs: ids, dryRun: dryRun), by: ModelsCommand.cliOperator)
            var detail = try await services.cycles.get(run.cycleID, by: ModelsCommand.cliOperator)
            let bar = ProgressBar()
            while wait, !detail.run.status.isFinished {
                bar.update(done: detail.run.accountsDone, total: max(detail.run.accountsTotal, 1), item: detail.run.status.rawValue)
                try await Task.sleep(nanoseconds: 200_000_000)
                detail = try await services.cycles.get(run.cycleID, by: ModelsCommand.cliOperator)
            }
            return detail
        }
        if json {
            ModelsCommand.printJSON(Self.summary(detail))
            return
        }
        let run = detail.run
        print("cycle \(run.cycleID) (\(run.cycleDate)): \(run.status.rawValue), regime \(run.regime ?? "unknown"), \(run.accountsDone)/\(run.accountsTotal) accounts")
        for account in detail.accounts {
            print("  \(account.accountHash)  client \(account.clientID)  \(account.status.rawValue)  \(account.strategy ?? "-")  \(account.outcome ?? "")")
        }
        if !run.status.isFinished { print("queued: a `keel serve` or `keel worker` runs it; `keel cycle status` follows it") }
    }

    static func summary(_ detail: CycleDetail) -> [String: Any] {
        let run = detail.run
        return ["cycle_id": run.cycleID, "cycle_date": run.cycleDate, "status": run.status.rawValue, "regime": run.regime ?? NSNull(),
                "job_id": run.jobID ?? NSNull(), "accounts_total": run.accountsTotal, "accounts_done": run.accountsDone,
                "accounts": detail.accounts.map { account -> [String: Any] in
                    ["account_hash": account.accountHash, "client_id": account.clientID, "status": account.status.rawValue,
                     "strategy": account.strategy ?? NSNull(), "reason": account.reason ?? NSNull(), "batch_id": account.batchID ?? NSNull(),
                     "orders": account.orders, "outcome": account.outcome ?? NSNull()]
                }]
    }
}

struct CycleStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Last and next cycle, regime, data freshness, controls.")

    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let status = try await CLIApplication.run(database: database) { try await $0.cycles.status(by: ModelsCommand.cliOperator) }
        let dates = ISO8601DateFormatter()
        if json {
            ModelsCommand.printJSON([
                "last_cycle": status.lastCycle.map { ["cycle_id": $0.cycleID, "status": $0.status.rawValue, "cycle_date": $0.cycleDate] as [String: Any] } ?? NSNull(),
                "next_cycle_at": status.nextScheduled.map { dates.string(from: $0) } ?? NSNull(),
                "regime": status.regime.map { ["day": $0.day, "regime": $0.regime, "confidence": $0.confidence] as [String: Any] } ?? NSNull(),
                "data_age_seconds": status.dataAgeSeconds ?? NSNull(), "unknown_orders": status.unknownOrders,
                "paused_clients": status.pausedClients.map(\.clientID), "kill_switch_engaged": status.killSwitchEngaged,
                "trading_paused": status.tradingPaused, "job_queue": status.jobQueue,
            ])
            return
        }
        if let last = status.lastCycle {
            print("last cycle: \(last.cycleID) \(last.cycleDate) \(last.status.rawValue) (\(last.accountsDone)/\(last.accountsTotal) accounts)")
        } else {
            print("last cycle: none yet")
        }
        print("next cycle: \(status.nextScheduled.map { dates.string(from: $0) } ?? "not scheduled (on demand only)")")
        print("regime: \(status.regime.map { "\($0.regime) (\(String(format: "%.2f", $0.confidence))) on \($0.day)" } ?? "not computed yet")")
        print("data: newest bar \(status.latestBar.map { dates.string(from: $0) } ?? "none")")
        print("unknown orders: \(status.unknownOrders); paused clients: \(status.pausedClients.map { String($0.clientID) }.joined(separator: ", "))")
        print("kill switch: \(status.killSwitchEngaged ? "ENGAGED" : "released"); trading \(status.tradingPaused ? "PAUSED" : "running")")
    }
}
