import ArgumentParser
import Foundation
import KeelAPI
import KeelBrokers
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import Vapor

/// The autonomous cycle over N paper accounts (each with preferences, a goal and 10–14 positions — the model
/// portfolios hold 14 names) on a fresh PostgreSQL database, run by one worker and then, on a second fresh
/// database, by two (each its own application and connection pool, as two `keel worker` processes would be, here
/// in one process). Two cycles are timed per round: the first, which moves every account from its random
/// holdings to its strategy (nearly every name trades), and the next trading day's, after the data step added
/// that day's bars (what a daily cycle does: drift orders only). End-to-end seconds, speed-up, time per step.
struct CycleBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cycle", abstract: "The autonomous daily cycle over many paper accounts (PostgreSQL).")

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL).")
    var postgresURL: String?

    @ArgumentParser.Option(help: "Paper accounts in the cycle.")
    var accounts = 1_000

    @ArgumentParser.Option(help: "Account jobs each worker runs at once.")
    var parallel = 8

    @ArgumentParser.Option(help: "Rounds: 2 runs one worker, then two on a fresh database (the scale-out figure); 1 only the first.")
    var workers = 2

    @ArgumentParser.Option(help: "Seconds a cycle may take before the benchmark fails instead of waiting.")
    var cycleTimeout: Double = 1_800

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    /// Monday 1 June 2026, 11:00 New York: the market is open, so the cycle's orders fill.
    static let now = ISO8601DateFormatter().date(from: "2026-06-01T15:00:00Z")!

    struct Timed {
        var seconds: Double
        var steps: [(step: String, count: Int, milliseconds: Int)]
        var outcomes: [String: Int]
        var orders: Int
        /// Statements PostgreSQL executed for the cycle (nil without pg_stat_statements) and the most frequent ones.
        var statements: Int?
        var topStatements: [(calls: Int, query: String)]
        /// CPU seconds of this process (Keel: the control app and the workers) and of the PostgreSQL server.
        var keelCPU: Double
        var postgresCPU: Double
    }

    struct Round {
        var workers: Int
        var first: Timed
        var daily: Timed
    }

    func run() async throws {
        guard let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"] else {
            throw ValidationError("pass --postgres-url or set KEEL_BENCH_POSTGRES_URL")
        }
        guard (10...20_000).contains(accounts) else { throw ValidationError("--accounts must be between 10 and 20,000") }
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 256") }
        guard (10...86_400).contains(cycleTimeout) else { throw ValidationError("--cycle-timeout must be between 10 and 86,400 seconds") }
        guard (1...2).contains(workers) else { throw ValidationError("--workers must be 1 or 2") }
        var rounds: [Round] = []
        for workers in 1...workers {
            rounds.append(try await round(server: server, workers: workers))
        }
        let one = rounds[0], two = rounds.count > 1 ? rounds[1] : nil
        let speedup = two.map { one.daily.seconds / $0.daily.seconds }
        let firstSpeedup = two.map { one.first.seconds / $0.first.seconds }
        func steps(_ timed: Timed) -> [String: Any] {
            Dictionary(uniqueKeysWithValues: timed.steps.map { ($0.step, ["runs": $0.count, "total_ms": $0.milliseconds,
                                                                          "mean_ms": Double($0.milliseconds) / Double(max($0.count, 1))] as [String: Any]) })
        }
        let accounts = Double(self.accounts)
        func figures(_ timed: Timed) -> [String: Any] {
            let cpuPerAccount = (timed.keelCPU + timed.postgresCPU) / accounts
            var figures: [String: Any] = [
                "seconds": timed.seconds, "orders": timed.orders, "outcomes": timed.outcomes, "steps": steps(timed),
                "cpu_seconds_per_account": ["keel": timed.keelCPU / accounts, "postgresql": timed.postgresCPU / accounts],
                "projected_accounts_per_core_hour": cpuPerAccount > 0 ? 3_600 / cpuPerAccount : 0,
                "top_statements": timed.topStatements.map { ["calls": $0.calls, "query": $0.query] as [String: Any] },
            ]
            figures["statements_per_account"] = timed.statements.map { Double($0) / accounts } ?? NSNull()
            return figures
        }
        let output: [String: Any] = [
            "accounts": accounts, "parallel_per_worker": parallel,
            "daily_cycle": ["one_worker": figures(one.daily), "two_workers": two.map { figures($0.daily) as Any } ?? NSNull(), "speedup": speedup.map { $0 as Any } ?? NSNull()],
            "first_cycle": ["one_worker": figures(one.first), "two_workers": two.map { figures($0.first) as Any } ?? NSNull(), "speedup": firstSpeedup.map { $0 as Any } ?? NSNull()],
            "peak_rss_mb": ProcessCPU.peakResidentMegabytes(),
            "targets": ["daily_seconds_per_1000_accounts": 10, "first_seconds_per_1000_accounts": 30, "statements_per_account": 20,
                        "second_worker_speedup_at_least": 1.0, "peak_rss_mb_at_10000_accounts": 500],
            "met": ["daily_one_worker": one.daily.seconds < 10 * accounts / 1_000, "first_one_worker": one.first.seconds < 30 * accounts / 1_000,
                    "daily_statements": one.daily.statements.map { Double($0) / accounts <= 20 } ?? false,
                    "second_worker_not_slower": speedup.map { ($0 >= 1.0) as Any } ?? NSNull()],
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        print(String(format: "peak RSS %.0f MB", ProcessCPU.peakResidentMegabytes()))
        for (label, a, b) in [("first cycle (random holdings to target)", one.first, two?.first), ("daily cycle (next trading day)", one.daily, two?.daily)] {
            print(String(format: "%@: %d accounts, %d orders: 1 worker %.2f s", label as NSString, self.accounts, a.orders, a.seconds)
                  + (b.map { String(format: ", 2 workers %.2f s = %.2fx", $0.seconds, a.seconds / $0.seconds) } ?? ""))
            print(String(format: "  per account: %@ statements, CPU %.1f ms Keel + %.1f ms PostgreSQL; %.0f accounts per core-hour",
                         (a.statements.map { String(format: "%.1f", Double($0) / accounts) } ?? "n/a") as NSString,
                         a.keelCPU / accounts * 1_000, a.postgresCPU / accounts * 1_000, 3_600 / max((a.keelCPU + a.postgresCPU) / accounts, 1e-9)))
            for statement in a.topStatements.prefix(8) { print(String(format: "  %8d  %@", statement.calls, statement.query as NSString)) }
            for step in a.steps.sorted(by: { $0.milliseconds > $1.milliseconds }) {
                print(String(format: "  %-24@ %6d runs  %9.1f ms total  %7.2f ms each", step.step as NSString, step.count,
                             Double(step.milliseconds), Double(step.milliseconds) / Double(max(step.count, 1))))
            }
        }
    }

    func round(server: String, workers: Int) async throws -> Round {
        let name = "keel_bench_cycle_\(ProcessInfo.processInfo.processIdentifier)_\(workers)"
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        let location = DatabaseLocation.postgres(url: components.string!)
        let clock = AdjustableClock(Self.now)
        let control = try await Self.app(location, clock: clock, worker: false, parallel: parallel, migrate: true)
        let result: Round
        do {
            let (counter, unavailable) = await StatementCounter.make(control.keel.context.database)
            if let unavailable, !json { print("statements per account: not measured (\(unavailable))") }
            let setup = DispatchTime.now().uptimeNanoseconds
            try await Self.populate(control.keel, accounts: accounts)
            if !json {
                print(String(format: "round with %d worker(s): %d accounts set up in %.1f s", workers, accounts,
                             Double(DispatchTime.now().uptimeNanoseconds - setup) / 1e9))
            }
            var apps: [Application] = []
            for _ in 0..<workers { apps.append(try await Self.app(location, clock: clock, worker: true, parallel: parallel, migrate: false)) }
            for app in apps { try await app.asyncBoot() }
            let first = try await Self.timedCycle(control.keel, timeout: cycleTimeout, counter: counter)
            // The next trading day: the data step appends its simulated bars; accounts now hold their targets.
            clock.advance(by: 86_400)
            let daily = try await Self.timedCycle(control.keel, timeout: cycleTimeout, counter: counter)
            for app in apps { try await app.asyncShutdown() }
            result = Round(workers: workers, first: first, daily: daily)
        } catch {
            try? await control.asyncShutdown()
            throw error
        }
        try await control.asyncShutdown()
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        return result
    }

    static func timedCycle(_ services: KeelServices, timeout: TimeInterval, counter: StatementCounter?) async throws -> Timed {
        let principal = Principal(userID: "bench", role: .admin, clientID: nil)
        let ordersBefore = try await Self.orders(services)
        try await counter?.reset()
        let (keelBefore, postgresBefore) = (ProcessCPU.own(), ProcessCPU.postgres())
        let start = DispatchTime.now().uptimeNanoseconds
        let cycle = try await services.cycles.run(CycleRequest(), by: principal)
        var run = cycle
        var status = cycle.status
        while !status.isFinished {
            // A cycle that stops moving is a failure to report, never a hang.
            if Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 > timeout {
                let jobs = try await services.context.database.read { session in
                    try await session.sql.raw("SELECT kind, status, COUNT(*) AS n FROM jobs GROUP BY kind, status ORDER BY kind, status").all()
                        .map { "\(try $0.decode(column: "kind", as: String.self)) \(try $0.decode(column: "status", as: String.self)): \(try $0.decode(column: "n", as: Int.self))" }
                }
                throw ValidationError("the cycle did not finish within \(Int(timeout)) s (status \(run.status.rawValue); jobs: \(jobs.joined(separator: ", ")))")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
            // Its own query shape (`bench_poll`), so the statement count leaves the benchmark's polling out.
            let text = try await services.context.database.read { session in
                try await session.sql.raw("SELECT status, 1 AS bench_poll FROM cycle_runs WHERE cycle_id = \(bind: cycle.cycleID)").first()?
                    .decode(column: "status", as: String.self)
            }
            status = text.flatMap(CycleStatus.init(rawValue:)) ?? status
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let (keelAfter, postgresAfter) = (ProcessCPU.own(), ProcessCPU.postgres())
        let statements = try await counter?.total()
        let top = try await counter?.top(12) ?? []
        run = try await services.context.database.read { try await $0.cycles.find(cycle.cycleID) } ?? run
        guard run.status == .completed else { throw ValidationError("the cycle ended \(run.status.rawValue): \(run.error ?? "")") }
        let (steps, outcomes) = try await services.context.database.read { session in
            (try await session.cycles.stepDurations(cycle.cycleID), try await session.cycles.accountCounts(cycle.cycleID))
        }
        return Timed(seconds: seconds, steps: steps, outcomes: outcomes, orders: try await Self.orders(services) - ordersBefore,
                     statements: statements, topStatements: top, keelCPU: keelAfter - keelBefore, postgresCPU: postgresAfter - postgresBefore)
    }

    static func orders(_ services: KeelServices) async throws -> Int {
        try await services.context.database.read { session in
            try await session.sql.raw("SELECT COUNT(*) AS n FROM paper_broker_orders WHERE client_order_key NOT LIKE 'SEED-%'").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    static func app(_ location: DatabaseLocation, clock: AdjustableClock, worker: Bool, parallel: Int, migrate: Bool) async throws -> Application {
        let app = try await Application.make(.init(name: "production", arguments: ["bench"]))
        do {
            var configuration = KeelConfiguration(database: location, clock: clock, migrateOnStart: migrate, reconcileOnStart: false,
                                                  databasePoolSize: max(4, parallel + 2), logLevel: .error)
            configuration.bootstrapAdmin = false
            configuration.runWorker = worker
            configuration.jobSettings.maxParallel = parallel
            configuration.jobSettings.pollInterval = 0.02
            configuration.settings.cycle.accountConcurrency = 256
            configuration.settings.cycle.dataSource = .simulator(seed: DemoMarketSeeder.defaultSeed, historyDays: 500)
            try await configureKeel(app, configuration)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    /// Simulated prices, then `accounts` clients (auto-approved paper trading), each with a paper account, a goal
    /// and 10–14 positions written consistently into Keel's books and the paper broker's.
    static func populate(_ services: KeelServices, accounts: Int) async throws {
        _ = try await services.demoMarket.seed(seed: DemoMarketSeeder.defaultSeed, historyDays: 500)
        let principal = Principal(userID: "bench", role: .admin, clientID: nil)
        let database = services.context.database
        let portfolios = try await database.read { try await $0.referenceData.modelPortfolios() }.filter { $0.strategy != .rlPolicy }
        let prices = try await database.read { session in
            try await session.marketBars.latestPrices(symbols: Array(Set(portfolios.flatMap(\.universe))))
        }
        var generator = SeededGenerator(seed: 42)
        for index in 0..<accounts {
            let portfolio = portfolios[index % portfolios.count]
            let client = try await services.clients.create(ClientInput(firstName: "Bench", lastName: "Client\(index)", email: "bench\(index)@example.com",
                                                                       riskTolerance: "moderate", portfolioID: portfolio.id), by: principal)
            _ = try await services.preferences.update(clientID: client.clientID,
                                                      with: PreferencesInput(requireApproval: false, tradingMode: "paper"), by: principal)
            let hash = "bench-account-\(index)"
            _ = try await services.accounts.link(AccountLinkInput(clientID: client.clientID, brokerageID: 2, accountNumber: "BENCH-\(index)", accountHash: hash,
                                                                  accountType: "individual", nickname: nil, startingCash: 100_000), by: principal)
            _ = try await services.goals.create(GoalInput(userID: client.tradingUserID, name: "5% a month", goalType: "monthly_return", targetValue: 5, clientID: client.clientID,
                                                          accountHash: hash), by: principal)
            // 10–14 holdings of the portfolio's names at today's price, bought at the broker and booked by Keel alike.
            let names = portfolio.universe.shuffled(using: &generator).prefix(Int.random(in: 10...14, using: &generator))
            let holdings: [(String, Decimal, Decimal)] = names.compactMap { symbol in
                guard let close = prices[symbol]?.close, close > 0 else { return nil }
                let price = Decimal(close).roundedToCents
                let quantity = Decimal(Int(5_500 / close))
                return quantity > 0 ? (symbol, quantity, price) : nil
            }
            let clientID = client.clientID
            try await database.write { session in
                guard let account = try await session.accounts.find(hash: hash) else { return }
                var cash = account.cash
                for (number, (symbol, quantity, price)) in holdings.enumerated() {
                    let orderID = "SEED-\(index)-\(number)"
                    let opened = Self.now.addingTimeInterval(-86_400)
                    let fill = BrokerFill(fillID: orderID + "-1", clientOrderKey: orderID, symbol: symbol, side: .buy, quantity: quantity, price: price,
                                          commission: 0, time: opened)
                    let order = BrokerOrder(brokerOrderID: orderID, clientOrderKey: orderID, symbol: symbol, side: .buy, quantity: quantity,
                                            status: .filled, fills: [fill], createdAt: opened, orderType: .market)
                    _ = try await session.paperBroker.insertIfAbsent(try DatabasePaperBrokerLedger.row(order, accountID: hash))
                    try await session.ledger.savePosition(PositionRecord(accountHash: hash, clientID: clientID, userID: nil, symbol: symbol,
                                                                         quantity: quantity, averageCost: price, openedAt: Self.now, updatedAt: Self.now))
                    cash -= quantity * price
                }
                try await session.accounts.setCash(hash: hash, cash: cash, at: Self.now)
            }
        }
    }
}
