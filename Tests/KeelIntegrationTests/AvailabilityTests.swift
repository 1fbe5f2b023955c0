import Foundation
import KeelCore
import KeelServices
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing
import Vapor

/// The server stays up whatever is asked of it: CPU-bound trainings run on compute threads of their own while
/// `/health`, reads and the ledger keep answering; cancel stops a running job within about a second and ends
/// what it was producing with the reason; shutdown releases a job mid-computation within its grace; periodic
/// duties cannot be cancelled and a job only by its starter or an admin.
// Serialized: the heavy trainings of one case are enough load for the shared test process.
@Suite("Availability: heavy work, cancel, shutdown and who may cancel", .serialized)
struct AvailabilityTests {
    /// Inside the training budget, and minutes of work: 5,000 trees over every walk-forward window.
    static var heavyGBDT: [String: any Sendable] {
        MLRLPipelineTests.range.merging(["model_type": "gbdt", "symbols": MLRLPipelineTests.symbols("P"),
                                         "params": ["trees": 5000, "max_leaves": 100, "max_depth": 16, "min_samples_per_leaf": 1,
                                                    "early_stopping_rounds": 0, "learning_rate": 0.001]]) { _, new in new }
    }

    /// Inside the training budget, and minutes of work: 100,000 episodes, no early stopping.
    static var heavyRL: [String: any Sendable] {
        ["symbols": MLRLPipelineTests.symbols("P"), "from": "2017-07-14", "to": "2019-06-13", "episodes": 100_000, "seed": 3,
         "params": ["early_stopping_checks": 0]]
    }

    static func job(_ app: KeelTestApp, _ id: String, token: String) async throws -> [String: Any] {
        try await app.request(.GET, "/api/jobs/\(id)", token: token).object
    }

    /// Starts both heavy trainings; returns (model id, job id) of each once both run their compute.
    static func startHeavyTrainings(_ app: KeelTestApp, token: String) async throws -> [(model: String, job: String)] {
        let gbdt = try await MLRLPipelineTests.train(app, token: token, heavyGBDT)
        #expect(gbdt.status == .accepted, "\(gbdt)")
        let rl = try await app.request(.POST, "/api/rl/train", token: token, json: heavyRL)
        #expect(rl.status == .accepted, "\(rl)")
        let started = [(try #require(gbdt.object.string("model_id")), try #require(gbdt.object.string("job_id"))),
                       (try #require(rl.object.string("model_id")), try #require(rl.object.string("job_id")))]
        // Past loading and checks: both are inside their compute (progress 0.2 is noted just before it starts).
        try await app.eventually("both trainings computing", timeout: 120) {
            var computing = 0
            for (_, jobID) in started {
                let job = try await Self.job(app, jobID, token: token)
                if job.string("status") == "running", job.double("progress") ?? 0 >= 0.2 { computing += 1 }
            }
            return computing == started.count
        }
        return started.map { (model: $0.0, job: $0.1) }
    }

    @Test("two heavy trainings at once: /health and reads answer within their normal latency; cancel stops both within seconds and fails their versions with the reason",
          arguments: TestDatabase.available)
    func heavyWorkDoesNotStallTheServer(database: TestDatabase) async throws {
        // Two compute threads, so both trainings compute at once, as in the report that froze the server.
        try await KeelTestApp.run(on: database, configure: { $0.computeThreads = 2 }) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let token = try await app.login()
            let trainings = try await Self.startHeavyTrainings(app, token: token)

            var latencies: [Double] = []
            for index in 0..<60 {
                let started = DispatchTime.now().uptimeNanoseconds
                let path = index % 3 == 2 ? "/api/jobs?limit=5" : "/health"
                let response = try await app.request(.GET, path, token: path == "/health" ? nil : token)
                latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
                #expect(response.status == .ok, "\(path): \(response)")
            }
            for (_, jobID) in trainings {
                #expect(try await Self.job(app, jobID, token: token).string("status") == "running", "still training while the server answered")
            }
            let sorted = latencies.sorted()
            let p99 = sorted[Int(Double(sorted.count - 1) * 0.99)]
            // Stalled, every request waited for a training to end (minutes: the report saw no answer for five). The
            // test shares two cores with the rest of the suite, so the bound only separates answering from stalling;
            // the latency itself is measured alone by `KeelBenchmarks availability`.
            #expect(p99 < 3_000, "p99 \(p99) ms with two heavy trainings running: \(sorted.suffix(5))")

            let cancelAsked = Date()
            for (_, jobID) in trainings {
                let asked = try await app.request(.POST, "/api/jobs/\(jobID)/cancel", token: token)
                #expect(asked.status == .ok && asked.object["cancel_requested"] as? Bool == true, "\(asked)")
            }
            try await app.eventually("both trainings to stop", timeout: 30) {
                var stopped = 0
                for (_, jobID) in trainings where try await Self.job(app, jobID, token: token).string("status") == "cancelled" { stopped += 1 }
                return stopped == trainings.count
            }
            // About a second alone (the availability benchmark measures it); the bound leaves room for the rest of
            // the suite sharing two cores. Before, a running training ran on for minutes after its cancel.
            let stoppedAfter = Date().timeIntervalSince(cancelAsked)
            #expect(stoppedAfter < 15, "cancel took \(stoppedAfter) s to stop two running trainings")
            for (modelID, jobID) in trainings {
                let model = try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
                #expect(model.string("status") == "failed", "\(model)")
                #expect(model.string("error")?.contains("cancelled (job \(jobID))") == true, "\(model.string("error") ?? "")")
            }
        }
    }

    @Test("shutdown (what SIGTERM triggers) stops a worker within its grace while a training computes; the job goes back to the queue, the version stays training",
          arguments: TestDatabase.available)
    func shutdownReleasesComputingJobs(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.computeThreads = 1; $0.jobSettings.shutdownGrace = 1 }) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let token = try await app.login()
            let rl = try await app.request(.POST, "/api/rl/train", token: token, json: Self.heavyRL)
            let jobID = try #require(rl.object.string("job_id")), modelID = try #require(rl.object.string("model_id"))
            try await app.eventually("the training computing", timeout: 120) {
                let job = try await Self.job(app, jobID, token: token)
                return job.string("status") == "running" && job.double("progress") ?? 0 >= 0.2
            }
            let stopping = Date()
            // The grace runs on the test clock: moved on until the runner has released the job.
            let stopper = Task { await app.services.runner.stop() }
            try await app.eventually("the runner to stop", timeout: 30) {
                app.clock.advance(by: 1)
                return await app.services.runner.runningJobIDs.isEmpty
            }
            await stopper.value
            let took = Date().timeIntervalSince(stopping)
            // The training alone would run for minutes; the bound leaves room for a loaded test machine.
            #expect(took < 30, "the worker took \(took) s to stop")
            let job = try await Self.job(app, jobID, token: token)
            #expect(job.string("status") == "queued" && job.int("attempts") == 0, "released without losing an attempt: \(job)")
            #expect(try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object.string("status") == "training")
        }
    }

    @Test("a backtest cancelled before it runs ends failed with the reason; a training cancelled in the queue fails its version",
          arguments: TestDatabase.available)
    func cancelledBeforeStart(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let token = try await app.login()
            let backtest = try await app.request(.POST, "/api/backtests", token: token,
                                                 json: ["strategy": "momentum", "symbols": ["P00", "P01", "P02"], "cash": 100_000])
            #expect(backtest.status == .accepted, "\(backtest)")
            let backtestID = try #require(backtest.object.string("backtest_id")), backtestJob = try #require(backtest.object.string("job_id"))
            #expect(try await app.request(.POST, "/api/jobs/\(backtestJob)/cancel", token: token).object.string("status") == "cancelled")
            let stored = try await app.request(.GET, "/api/backtests/\(backtestID)", token: token).object
            #expect(stored.string("status") == "failed" && stored.string("error")?.contains("cancelled") == true, "\(stored)")

            let training = try await MLRLPipelineTests.train(app, token: token, MLRLPipelineTests.range.merging(["model_type": "ridge", "symbols": MLRLPipelineTests.symbols("P")]) { a, _ in a })
            let trainingJob = try #require(training.object.string("job_id")), modelID = try #require(training.object.string("model_id"))
            #expect(try await app.request(.POST, "/api/jobs/\(trainingJob)/cancel", token: token).object.string("status") == "cancelled")
            let model = try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
            #expect(model.string("status") == "failed" && model.string("error")?.contains("cancelled") == true, "\(model)")
        }
    }

    @Test("periodic duties cannot be cancelled (409); a job only by whoever started it or an admin (403 otherwise)", arguments: TestDatabase.available)
    func whoMayCancel(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let advisor = try await app.login(), admin = try await app.loginAdmin()
            let created = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": "second-advisor", "password": "second-advisor-password-1", "role": "advisor"])
            #expect(created.status == .ok || created.status == .created, "\(created)")
            let other = try await app.login("second-advisor", password: "second-advisor-password-1")

            let duty = try await app.services.jobs.enqueue(kind: PeriodicDuty.reconcile, payload: "{}")
            for token in [advisor, admin] {
                let refused = try await app.request(.POST, "/api/jobs/\(duty.jobID)/cancel", token: token)
                #expect(refused.status == .conflict && refused.errorCode == "duty_not_cancellable", "\(refused)")
            }
            #expect(try await app.request(.GET, "/api/jobs/\(duty.jobID)", token: admin).object.string("status") == "queued", "the duty stays scheduled")

            var jobs: [String] = []
            for _ in 0..<2 {
                let backtest = try await app.request(.POST, "/api/backtests", token: advisor, json: ["strategy": "momentum", "symbols": ["P00", "P01", "P02"]])
                jobs.append(try #require(backtest.object.string("job_id")))
            }
            #expect(try await app.request(.GET, "/api/jobs/\(jobs[0])", token: advisor).object.string("created_by") == TestFixtures.advisorUserID)
            let foreign = try await app.request(.POST, "/api/jobs/\(jobs[0])/cancel", token: other)
            #expect(foreign.status == .forbidden && foreign.body.contains("only its starter or an admin"), "\(foreign)")
            #expect(try await app.request(.GET, "/api/jobs/\(jobs[0])", token: admin).object.string("status") == "queued", "nothing changed")
            #expect(try await app.request(.POST, "/api/jobs/\(jobs[0])/cancel", token: advisor).object.string("status") == "cancelled", "its starter may")
            #expect(try await app.request(.POST, "/api/jobs/\(jobs[1])/cancel", token: admin).object.string("status") == "cancelled", "an admin may")
        }
    }

    @Test("every training parameter has a bound: over-budget, denormal and far-future requests are refused by field before any job", arguments: TestDatabase.available)
    func trainingBounds(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            try await MLRLPipelineTests.storeMarkets(app)
            let token = try await app.login()
            let base = MLRLPipelineTests.range.merging(["model_type": "gbdt", "symbols": MLRLPipelineTests.symbols("P")]) { a, _ in a }
            let cases: [(String, [String: any Sendable], String)] = [
                ("the report's GBDT", base.merging(["params": ["trees": 5000, "max_depth": 16, "max_leaves": 4096, "min_samples_per_leaf": 1,
                                                                "early_stopping_rounds": 0, "learning_rate": 0.001]]) { _, b in b }, "params.trees"),
                ("denormal row_subsample", base.merging(["params": ["row_subsample": 5e-324]]) { _, b in b }, "params.row_subsample"),
                ("tiny learning rate", base.merging(["params": ["learning_rate": 1e-300]]) { _, b in b }, "params.learning_rate"),
                ("to in the far future", base.merging(["to": "9999-12-31"]) { _, b in b }, "to"),
                ("from before 1900", base.merging(["from": "1066-10-14"]) { _, b in b }, "from"),
            ]
            for (what, body, field) in cases {
                let response = try await MLRLPipelineTests.train(app, token: token, body)
                #expect(response.status == .unprocessableEntity && response.errorField == field, "\(what): \(response)")
            }
            let rl = try await app.request(.POST, "/api/rl/train", token: token, json: Self.heavyRL.merging(["params": ["horizon_days": 40]]) { _, b in b })
            #expect(rl.status == .unprocessableEntity && rl.errorField == "episodes", "\(rl)")
            #expect(try await app.count("jobs", where: "kind IN ('ml.train', 'rl.train')") == 0, "nothing was queued")
        }
    }
}
