import ArgumentParser
import Foundation
import KeelAPI
import KeelServices
@_spi(RawSQL) import KeelStore
import Vapor

/// 10,000 no-op jobs through the runner on a fresh PostgreSQL database, drained by one worker and then by two
/// (each its own application and connection pool, as two `keel worker` processes would be, here in one
/// process): jobs/s, the scaling ratio, and the claim-to-start latency (p50/p99).
struct JobsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Job runner throughput with one and two workers (PostgreSQL).")

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL).")
    var postgresURL: String?

    @ArgumentParser.Option(help: "Jobs per round.")
    var jobs = 10_000

    @ArgumentParser.Option(help: "Jobs each worker runs at once.")
    var parallel = 64

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    struct NoopJob: JobHandler {
        var kind: String { "bench.noop" }
        var concurrency: Int { 1_000_000 }
        var maxAttempts: Int { 1 }
        func validate(payload: String) throws {}
        func run(_ job: RunningJob) async throws -> String? { nil }
    }

    func run() async throws {
        guard let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"] else {
            throw ValidationError("pass --postgres-url or set KEEL_BENCH_POSTGRES_URL")
        }
        guard (100...1_000_000).contains(jobs) else { throw ValidationError("--jobs must be between 100 and 1,000,000") }
        let name = "keel_bench_jobs_\(ProcessInfo.processInfo.processIdentifier)"
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        let location = DatabaseLocation.postgres(url: components.string!)

        let control = try await Self.app(location, worker: false, parallel: parallel, migrate: true)
        var rounds: [(workers: Int, seconds: Double, waits: [Double])] = []
        do {
            for workers in [1, 2] {
                try await control.keel.context.database.write { try await $0.sql.raw("DELETE FROM jobs").run() }
                try await Self.enqueue(jobs, on: control.keel.context.database)
                var apps: [Application] = []
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<workers { apps.append(try await Self.app(location, worker: true, parallel: parallel, migrate: false)) }
                for app in apps { try await app.asyncBoot() }
                while try await control.keel.context.database.read({ session in
                    try await session.sql.raw("SELECT COUNT(*) AS n FROM jobs WHERE status = 'succeeded'").first()?.decode(column: "n", as: Int.self) ?? 0
                }) < jobs {
                    try await Task.sleep(nanoseconds: 5_000_000)
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let waits = apps.flatMap { $0.keel.runner.metrics.snapshot.waits }
                for app in apps { try await app.asyncShutdown() }
                rounds.append((workers, seconds, waits))
            }
        } catch {
            try? await control.asyncShutdown()
            throw error
        }
        try await control.asyncShutdown()
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")

        func rate(_ round: (workers: Int, seconds: Double, waits: [Double])) -> Double { Double(jobs) / round.seconds }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            guard !values.isEmpty else { return .nan }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        let one = rate(rounds[0]), two = rate(rounds[1])
        let waits = rounds.flatMap(\.waits)
        let p50 = percentile(waits, 0.5) * 1000, p99 = percentile(waits, 0.99) * 1000
        let figures: [String: Any] = [
            "jobs": jobs, "parallel_per_worker": parallel,
            "one_worker_jobs_per_s": one, "two_workers_jobs_per_s": two, "scaling": two / one,
            "claim_to_start_p50_ms": p50, "claim_to_start_p99_ms": p99,
            "targets": ["one_worker_jobs_per_s": 1000, "scaling": 1.7, "claim_to_start_p99_ms": 50],
            "met": ["one_worker": one >= 1000, "scaling": two / one >= 1.7, "latency": p99 < 50],
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "%d no-op jobs: 1 worker %.0f jobs/s (target 1000), 2 workers %.0f jobs/s = %.2fx (target 1.7x); claim-to-start p50 %.2f ms, p99 %.2f ms (target < 50)",
                         jobs, one, two, two / one, p50, p99))
        }
    }

    static func app(_ location: DatabaseLocation, worker: Bool, parallel: Int, migrate: Bool) async throws -> Application {
        let app = try await Application.make(.init(name: "production", arguments: ["bench"]))
        do {
            var configuration = KeelConfiguration(database: location, migrateOnStart: migrate, reconcileOnStart: false, databasePoolSize: 4, logLevel: .error)
            configuration.bootstrapAdmin = false
            configuration.runWorker = worker
            configuration.extraJobHandlers = [NoopJob()]
            configuration.jobSettings.maxParallel = parallel
            configuration.jobSettings.pollInterval = 0.05
            try await configureKeel(app, configuration)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    static func enqueue(_ count: Int, on database: KeelDatabase) async throws {
        let now = Date()
        for start in stride(from: 0, to: count, by: 500) {
            let end = min(count, start + 500)
            try await database.write { session in
                for index in start..<end {
                    _ = try await session.jobs.enqueue(NewJob(kind: "bench.noop", payload: "{\"n\":\(index)}", maxAttempts: 1, runAfter: now),
                                                       id: UUID().uuidString.lowercased(), at: now)
                }
            }
        }
    }
}
