import Foundation
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing

@Suite("Job runner")
struct JobRunnerTests {
    static func job(_ app: KeelTestApp, _ id: String) async throws -> JobRecord? {
        try await app.database.read { try await $0.jobs.find(id) }
    }

    @Test("a job enqueued by another process wakes an idle worker at once (LISTEN/NOTIFY), though the worker's clock never moves")
    func enqueueElsewhereWakesAnIdleWorker() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await KeelTestApp.run(on: .postgres, configure: { $0.runWorker = false }) { app in
            let token = try await app.login()
            let sleepersBefore = app.clock.sleeperCount
            try await app.secondInstance { _ in
                // The worker has polled once and now waits on the test clock, which nothing advances: only a wake-up
                // from the enqueueing process can make it poll again.
                try await app.eventually("the second worker to go idle", timeout: 30) { app.clock.sleeperCount > sleepersBefore }
                let submitted = try await app.request(.POST, "/api/backtests", token: token, json: [
                    "strategy": "momentum", "symbols": ["AAPL", "MSFT", "JPM"], "lookback": 60, "max_positions": 2])
                let backtestID = try #require(submitted.object.string("backtest_id"), "\(submitted)")
                try await app.eventually("the other process's worker to run the backtest", timeout: 30) {
                    try await app.database.read { try await $0.jobs.find(idempotencyKey: "backtest:\(backtestID)") }?.status == .succeeded
                }
            }
        }
    }

    @Test("a backtest whose worker died mid-job is picked up by another worker and stored once", arguments: TestDatabase.available)
    func backtestSurvivesADeadWorker(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            let token = try await app.login()
            let submitted = try await app.request(.POST, "/api/backtests", token: token, json: [
                "strategy": "momentum", "symbols": ["AAPL", "MSFT", "JPM"], "lookback": 60, "max_positions": 2])
            let backtestID = try #require(submitted.object.string("backtest_id"), "\(submitted)")
            let queued = try #require(try await app.database.read { try await $0.jobs.find(idempotencyKey: "backtest:\(backtestID)") })
            #expect(queued.status == .queued)

            // A worker claims it and dies: its lease is never renewed.
            let now = app.clock.now()
            let claimed = try await app.database.write { session in
                try await session.jobs.claim(kinds: ["backtest"], owner: "worker-that-died", now: now, leaseUntil: now.addingTimeInterval(30), in: session)
            }
            #expect(claimed?.jobID == queued.jobID)
            #expect(try await app.request(.GET, "/api/backtests/\(backtestID)", token: token).object.string("status") == "running")

            app.clock.advance(by: 31)
            await app.services.runner.start()
            try await app.eventually("the backtest to finish") {
                try await Self.job(app, queued.jobID)?.status == .succeeded
            }
            let done = try #require(try await Self.job(app, queued.jobID))
            #expect(done.attempts == 2, "the dead worker's attempt counts")
            #expect(done.leaseOwner == nil)
            let backtest = try await app.request(.GET, "/api/backtests/\(backtestID)", token: token)
            #expect(backtest.object.string("status") == "succeeded", "\(backtest)")
            #expect(try await app.count("backtests", where: "backtest_id = '\(backtestID)'") == 1)
            let shown = try await app.request(.GET, "/api/jobs/\(queued.jobID)", token: token)
            #expect(shown.object.string("status") == "succeeded" && shown.object.double("progress") == 1, "\(shown)")
        }
    }

    /// Two processes share a PostgreSQL server; SQLite is the single-process embedded mode (one writer).
    @Test("two app instances on one PostgreSQL drain 200 jobs, each run exactly once", arguments: TestDatabase.available.filter { $0 == .postgres })
    func twoInstancesDrainOnce(database: TestDatabase) async throws {
        let log = ProbeLog()
        try await KeelTestApp.run(on: database, databasePoolSize: 6, configure: { $0.extraJobHandlers = [RecordingJob(log: log)] }) { app in
            try await app.secondInstance(configure: { $0.extraJobHandlers = [RecordingJob(log: log)] }) { second in
                var ids: [String] = []
                for index in 0..<200 {
                    let queue = index % 2 == 0 ? app.services.jobs : second.keel.jobs
                    ids.append(try await queue.enqueue(kind: "test.record", payload: "{\"n\":\(index)}").jobID)
                }
                try await app.eventually("200 jobs to succeed", timeout: 60) {
                    try await app.count("jobs", where: "kind = 'test.record' AND status = 'succeeded'") == 200
                }
                #expect(log.all.count == 200, "\(log.all.count) runs")
                #expect(Set(log.all) == Set(ids))
                #expect(log.owners.count == 2, "both instances' workers took jobs: \(log.owners)")
                let owners = try await app.database.read { session in
                    try await session.sql.raw("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'test.record' AND attempts = 1").first()?.decode(column: "n", as: Int.self)
                }
                #expect(owners == 200, "no job was claimed twice")
            }
        }
    }

    @Test("queued and running jobs can be cancelled; unknown and finished ones are refused", arguments: TestDatabase.available)
    func cancellation(database: TestDatabase) async throws {
        let log = ProbeLog()
        try await KeelTestApp.run(on: database, configure: { $0.extraJobHandlers = [BlockingJob(log: log), RecordingJob(log: log)] }) { app in
            let token = try await app.login()
            let later = try await app.services.jobs.enqueue(kind: "test.record", payload: "{}", runAfter: app.clock.now().addingTimeInterval(3600),
                                                            createdBy: TestFixtures.advisorUserID)
            let cancelled = try await app.request(.POST, "/api/jobs/\(later.jobID)/cancel", token: token)
            #expect(cancelled.object.string("status") == "cancelled", "\(cancelled)")
            #expect(try await app.request(.POST, "/api/jobs/\(later.jobID)/cancel", token: token).status == .conflict)

            let blocking = try await app.services.jobs.enqueue(kind: "test.block", payload: "{}", createdBy: TestFixtures.advisorUserID)
            try await app.eventually("the blocking job to run") { try await Self.job(app, blocking.jobID)?.status == .running }
            let asked = try await app.request(.POST, "/api/jobs/\(blocking.jobID)/cancel", token: token)
            #expect(asked.object["cancel_requested"] as? Bool == true, "\(asked)")
            // The worker hears of it at its next heartbeat (a third of the lease, on the test clock).
            app.clock.advance(by: 11)
            try await app.eventually("the running job to stop") { try await Self.job(app, blocking.jobID)?.status == .cancelled }

            #expect(try await app.request(.GET, "/api/jobs/no-such-job", token: token).status == .notFound)
            #expect(try await app.request(.POST, "/api/jobs/no-such-job/cancel", token: token).status == .notFound)
            let badKind = try await app.request(.GET, "/api/jobs?kind=no.such.kind", token: token)
            #expect(badKind.status == .unprocessableEntity && badKind.errorField == "kind")
            await #expect(throws: ServiceError.self) { try await app.services.jobs.enqueue(kind: "no.such.kind", payload: "{}") }
            await #expect(throws: ServiceError.self) { try await app.services.jobs.enqueue(kind: "backtest", payload: "{\"request\":1}") }
            await #expect(throws: ServiceError.self) { try await app.services.jobs.enqueue(kind: "test.record", payload: "not json") }
        }
    }

    @Test("a failing job is retried with back-off on the injected clock, then succeeds", arguments: TestDatabase.available)
    func retriesWithBackoff(database: TestDatabase) async throws {
        let log = ProbeLog()
        try await KeelTestApp.run(on: database, configure: { $0.extraJobHandlers = [RecordingJob(log: log, failures: 2, maxAttempts: 3)] }) { app in
            let job = try await app.services.jobs.enqueue(kind: "test.record", payload: "{}")
            try await app.eventually("the first failure") {
                let current = try await Self.job(app, job.jobID)
                return current?.attempts == 1 && current?.status == .queued
            }
            let first = try #require(try await Self.job(app, job.jobID))
            #expect(abs(first.runAfter.timeIntervalSince(app.clock.now()) - 2) < 0.01, "first retry after 2 s")
            #expect(first.error?.contains("probe failure") == true)
            // A little past the due time: PostgreSQL keeps microseconds, a Date keeps more.
            app.clock.advance(by: 2.1)
            try await app.eventually("the second failure") {
                let current = try await Self.job(app, job.jobID)
                return current?.attempts == 2 && current?.status == .queued
            }
            let second = try #require(try await Self.job(app, job.jobID))
            #expect(abs(second.runAfter.timeIntervalSince(app.clock.now()) - 4) < 0.01, "then after 4 s")
            // Not yet: every worker the move woke has looked and gone back to sleep before the job is checked.
            let asleep = app.clock.sleeperCount
            app.clock.advance(by: 3)
            try await app.eventually("the woken workers to go back to sleep") { app.clock.sleeperCount >= asleep }
            #expect(try await Self.job(app, job.jobID)?.status == .queued, "not before its time")
            app.clock.advance(by: 1.1)
            try await app.eventually("success on the third attempt") { try await Self.job(app, job.jobID)?.status == .succeeded }
            #expect(log.all.count == 3)

        }
    }

    @Test("a graceful stop leaves no job running: the running one goes back to the queue", arguments: TestDatabase.available)
    func gracefulStop(database: TestDatabase) async throws {
        let log = ProbeLog()
        try await KeelTestApp.run(on: database, configure: {
            $0.extraJobHandlers = [BlockingJob(log: log)]
            $0.jobSettings.shutdownGrace = 0
        }) { app in
            let job = try await app.services.jobs.enqueue(kind: "test.block", payload: "{}")
            try await app.eventually("the job to run") { try await Self.job(app, job.jobID)?.status == .running }
            await app.services.runner.stop()
            let after = try #require(try await Self.job(app, job.jobID))
            #expect(after.status == .queued, "released, not left running")
            #expect(after.attempts == 0, "a release at shutdown is not a failed attempt")
            #expect(after.leaseOwner == nil)
            #expect(try await app.count("jobs", where: "status = 'running'") == 0)
        }
    }

    @Test("periodic duties run as their own jobs: one failing does not stop the others", arguments: TestDatabase.available)
    func dutiesFailIndependently(database: TestDatabase) async throws {
        let log = ProbeLog()
        try await KeelTestApp.run(on: database, configure: {
            $0.extraJobHandlers = [RecordingJob(kind: "duty.fine", log: log, maxAttempts: 1), RecordingJob(kind: "duty.broken", log: log, failures: 99, maxAttempts: 1)]
            $0.duties = [PeriodicDuty(kind: "duty.fine", interval: 60), PeriodicDuty(kind: "duty.broken", interval: 60)]
        }) { app in
            try await app.eventually("both duties to run once") {
                let fine = try await app.count("jobs", where: "kind = 'duty.fine' AND status = 'succeeded'")
                let broken = try await app.count("jobs", where: "kind = 'duty.broken' AND status = 'failed'")
                return fine == 1 && broken == 1
            }
            // Each is scheduled again for its next period; the failure did not skip the other.
            app.clock.advance(by: 61)
            try await app.eventually("the second period") {
                // Time keeps moving a little: a runner that went to sleep just after the jump still wakes.
                app.clock.advance(by: 0.5)
                let fine = try await app.count("jobs", where: "kind = 'duty.fine' AND status = 'succeeded'")
                let broken = try await app.count("jobs", where: "kind = 'duty.broken' AND status = 'failed'")
                return fine >= 2 && broken >= 2
            }
        }
    }
}
