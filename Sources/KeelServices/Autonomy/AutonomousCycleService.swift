import Foundation
import KeelCore
import KeelStore

/// Starts cycles (on demand and on schedule) and reports on them: the runs, their steps and per-account
/// outcomes, and the status of the autonomous side as a whole.
public struct AutonomousCycleService: Sendable {
    let context: ServiceContext
    let jobs: @Sendable () -> JobService?
    let system: SystemControlService

    init(context: ServiceContext, system: SystemControlService, jobs: @escaping @Sendable () -> JobService?) {
        self.context = context
        self.system = system
        self.jobs = jobs
    }

    var settings: CycleSettings { context.settings.cycle }

    /// Queues a cycle and its job. 409 (with the running cycle's id) while a cycle of the same day is unfinished.
    public func run(_ request: CycleRequest, by principal: Principal) async throws -> CycleRunRecord {
        try principal.ensureStaff()
        return try await start(request, trigger: "manual", actor: principal.userID)
    }

    func start(_ request: CycleRequest, trigger: String, actor: String) async throws -> CycleRunRecord {
        let now = context.clock.now()
        let asOf = request.asOf ?? now
        if asOf > now.addingTimeInterval(60) { throw ServiceError.invalid("as_of", "as_of must not be in the future") }
        if asOf < now.addingTimeInterval(-366 * 86_400) { throw ServiceError.invalid("as_of", "as_of must be within the last year") }
        var clientIDs: [Int]?
        if let ids = request.clientIDs {
            guard !ids.isEmpty else { throw ServiceError.invalid("client_ids", "client_ids must name at least one client, or be left out for all") }
            guard ids.count <= 100_000 else { throw ServiceError.invalid("client_ids", "client_ids may name at most 100000 clients") }
            clientIDs = Array(Set(ids)).sorted()
        }
        let cycleID = UUID().uuidString.lowercased()
        let cycleDate = CivilDay(asOf).description
        var run = CycleRunRecord(cycleID: cycleID, cycleDate: cycleDate, status: .queued, trigger: trigger, dryRun: request.dryRun ?? false,
                                 asOf: asOf, clientIDs: clientIDs, regimeSymbol: settings.regimeSymbol, createdBy: actor, createdAt: now)
        let payload = try StoredJSON.encode(CycleJobHandler.Payload(cycleID: cycleID))
        let jobID = UUID().uuidString.lowercased()
        let stored = run
        do {
            try await context.database.write { session in
                if let ids = stored.clientIDs {
                    for id in ids where try await session.clients.find(id) == nil {
                        throw ServiceError.invalid("client_ids", "client \(id) does not exist")
                    }
                }
                try await session.cycles.create(stored)
                _ = try await session.jobs.enqueue(NewJob(kind: CycleJobHandler.kind, payload: payload, maxAttempts: 3, runAfter: now,
                                                          idempotencyKey: "cycle:\(cycleID)"), id: jobID, at: now)
                try await session.cycles.setJob(cycleID, jobID: jobID)
                try await session.audit("cycle.start", actor: actor, entityType: "cycle", entityID: cycleID, clientID: nil, at: now,
                                        details: ["trigger": trigger, "cycle_date": cycleDate, "dry_run": String(stored.dryRun),
                                                  "clients": stored.clientIDs.map { String($0.count) } ?? "all"])
            }
        } catch StoreError.duplicate {
            let open = try await context.database.read { try await $0.cycles.open(cycleDate: cycleDate) }
            var error = ServiceError.conflict("cycle_running", "cycle \(open?.cycleID ?? "?") of \(cycleDate) is still \(open?.status.rawValue ?? "running"); wait for it to finish")
            error.resourceID = open?.cycleID
            throw error
        }
        jobs()?.notifyRunner()
        run.jobID = jobID
        return run
    }

    /// The duty behind the schedule: starts today's scheduled cycle once it is due and not started yet.
    func runScheduledIfDue() async throws -> String? {
        guard settings.scheduled else { return nil }
        let now = context.clock.now()
        let today = CivilDay(now)
        let due = CycleSchedule(settings: settings).due(on: today)
        guard now >= due else { return nil }
        let date = today.description
        let existing = try await context.database.read { session in
            (try await session.cycles.latest(cycleDate: date, trigger: "scheduled"), try await session.cycles.open(cycleDate: date))
        }
        guard existing.0 == nil, existing.1 == nil else { return nil }
        do {
            let run = try await start(CycleRequest(), trigger: "scheduled", actor: "scheduler")
            return run.cycleID
        } catch let error as ServiceError where error.code == "cycle_running" {
            return nil
        }
    }

    public func list(limit: Int?, by principal: Principal) async throws -> [CycleRunRecord] {
        try principal.ensureStaff()
        let count = try FieldValidation.range(limit ?? 50, 1...500, field: "limit")
        return try await context.database.read { try await $0.cycles.list(limit: count) }
    }

    public func get(_ cycleID: String, by principal: Principal) async throws -> CycleDetail {
        try principal.ensureStaff()
        return try await context.database.read { session in
            guard let run = try await session.cycles.find(cycleID) else { throw ServiceError.notFound("cycle \(cycleID)", field: "cycle_id") }
            return CycleDetail(run: run, steps: try await session.cycles.steps(cycleID), accounts: try await session.cycles.accounts(cycleID))
        }
    }

    /// For `/health/ready` (no login): the last cycle and, per broker, how many accounts are in each state.
    public func readiness() async throws -> (lastCycle: CycleRunRecord?, brokers: [String: [String: Int]]) {
        try await context.database.read { session in
            (try await session.cycles.list(limit: 1).first, try await session.accounts.connectivityCounts())
        }
    }

    /// An account's live record: its stored days and, per strategy it ran, the record of those days against SPY.
    public func performance(accountHash: String, days: Int?, by principal: Principal) async throws -> AccountPerformanceReport {
        let limit = try FieldValidation.range(days ?? 60, 1...2000, field: "days")
        let record = try await context.database.read { session -> (AccountRecord, [AccountPerformanceRecord])? in
            guard let account = try await session.accounts.find(hash: accountHash) else { return nil }
            return (account, try await session.performance.history(accountHash: accountHash, limit: limit))
        }
        guard let (account, rows) = record else { throw ServiceError.notFound("account \(accountHash)", field: "account_hash") }
        try principal.ensureAccess(toClient: account.clientID)
        var byStrategy: [String: LivePerformance] = [:]
        for strategy in Set(rows.map(\.strategy)) {
            let judged = rows.filter { $0.strategy == strategy && $0.dailyReturn != nil }
            byStrategy[strategy] = LivePerformance(returns: judged.compactMap(\.dailyReturn), benchmark: judged.map(\.benchmarkReturn))
        }
        let judged = rows.filter { $0.dailyReturn != nil }
        return AccountPerformanceReport(accountHash: accountHash, days: rows,
                                        overall: LivePerformance(returns: judged.compactMap(\.dailyReturn), benchmark: judged.map(\.benchmarkReturn)),
                                        byStrategy: byStrategy)
    }

    public func status(by principal: Principal) async throws -> AutonomyStatus {
        try principal.ensureStaff()
        let now = context.clock.now()
        let settings = self.settings
        let switches = try await system.switches()
        return try await context.database.read { session in
            let last = try await session.cycles.list(limit: 1).first
            let regime = try await session.regimes.latest(symbol: settings.regimeSymbol)
            let latest = try await session.marketBars.latestPrices(symbols: [settings.regimeSymbol])[settings.regimeSymbol]?.timestamp
            let accounts = try await session.accounts.activeAccounts(limit: 500).map { account in
                AutonomyStatus.AccountConnectivity(accountHash: account.accountHash, clientID: account.clientID, broker: account.brokerage.code,
                                                   status: account.isHalted ? "halted" : account.status.rawValue, halted: account.haltedReason)
            }
            let unknown = try await session.batches.orders(statuses: [.unknown]).count
            return AutonomyStatus(lastCycle: last, nextScheduled: settings.scheduled ? CycleSchedule(settings: settings).next(after: now) : nil,
                                  scheduled: settings.scheduled, regime: regime, latestBar: latest,
                                  dataAgeSeconds: latest.map { now.timeIntervalSince($0) }, accounts: accounts, unknownOrders: unknown,
                                  jobQueue: try await session.jobs.queueDepth(), pausedClients: try await session.autonomy.pausedClients(),
                                  killSwitchEngaged: switches.killSwitchEngaged, tradingPaused: switches.tradingPaused)
        }
    }
}
