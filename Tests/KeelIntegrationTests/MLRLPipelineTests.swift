import Foundation
import KeelCore
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing
import Vapor

/// The ML training pipeline end to end through the API: training jobs, evaluation with baselines, the gate,
/// versions and lineage, deploy, override and one-step rollback, and refusal of bad requests before any job.
@Suite("ML and RL pipeline")
struct MLRLPipelineTests {
    static let start = Date(timeIntervalSince1970: 1_500_000_000)

    /// 30 symbols with a planted signal (P00…) and 30 on a random walk (R00…), 700 days from 2017-07-14.
    static func storeMarkets(_ app: KeelTestApp) async throws {
        let planted = PlantedSignalMarket.histories(signal: true, prefix: "P", start: start)
        let random = PlantedSignalMarket.histories(signal: false, seed: 8, prefix: "R", start: start)
        try await app.database.write { session in
            try await session.referenceData.ensureInstruments((planted + random).map { Instrument(symbol: $0.symbol, assetClass: .equity, name: $0.symbol) })
            for series in planted + random { try await session.marketBars.upsert(series, interval: "1d", source: "test") }
        }
    }

    static func symbols(_ prefix: String) -> [String] { (0..<30).map { prefix + String(format: "%02d", $0) } }

    static func train(_ app: KeelTestApp, token: String, _ body: [String: any Sendable]) async throws -> TestResponse {
        try await app.request(.POST, "/api/ml-models/train", token: token, json: body)
    }

    /// Submits and waits for the job to finish; returns the model as the API shows it.
    static func trained(_ app: KeelTestApp, token: String, _ body: [String: any Sendable]) async throws -> [String: Any] {
        let submitted = try await train(app, token: token, body)
        #expect(submitted.status == .accepted, "\(submitted)")
        let jobID = try #require(submitted.object.string("job_id")), modelID = try #require(submitted.object.string("model_id"))
        try await app.eventually("training job \(jobID)", timeout: 120) {
            let status = try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object.string("status")
            return status == "succeeded" || status == "failed"
        }
        let job = try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object
        #expect(job.string("status") == "succeeded", "\(job)")
        return try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
    }

    static var range: [String: any Sendable] { ["from": "2017-07-14", "to": "2019-06-13", "horizon_days": 20, "seed": 7] }

    @Test("ridge trained on the planted market passes the gate with its baselines stored; deploy, then a gbdt on noise fails it", arguments: TestDatabase.available)
    func trainEvaluateDeploy(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let advisor = try await app.login(), admin = try await app.loginAdmin()
            let ridge = try await Self.trained(app, token: advisor, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a })
            #expect(ridge["status"] as? String == "trained")
            #expect(ridge.string("version") == "ridge/v1")
            let gate = ridge["gate"] as? [String: Any]
            #expect(gate?["passed"] as? Bool == true, "\(gate ?? [:])")
            let evaluation = try #require(ridge["evaluation"] as? [String: Any])
            #expect((evaluation["windows"] as? [Any])?.isEmpty == false)
            #expect(Set((evaluation["baselines"] as? [String: Any])?.keys.map { $0 } ?? []) == ["equal_weight", "buy_and_hold", "momentum_12_1"])
            #expect(((evaluation["overall"] as? [String: Any])?["mean_rank_ic"] as? Double ?? 0) > 0.05)
            let lineage = try #require(ridge["lineage"] as? [String: Any])
            #expect((lineage["artifact_sha256"] as? String)?.count == 64)
            #expect((lineage["data_fingerprint"] as? String)?.count == 64, "\(lineage)")
            #expect((lineage["build_version"] as? String)?.hasPrefix("keel ") == true, "\(lineage)")
            #expect(lineage["training_job_id"] as? String != nil)
            let ridgeID = try #require(ridge.string("model_id"))

            let deployed = try await app.request(.POST, "/api/ml-models/\(ridgeID)/deploy", token: advisor)
            #expect(deployed.status == .ok && deployed.object.string("status") == "deployed", "\(deployed)")

            // The same data, settings and seed: the same artifact, but a second trial on that data, judged against a higher bar.
            let again = try await Self.trained(app, token: advisor, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a })
            #expect(again.string("version") == "ridge/v2")
            #expect((again["lineage"] as? [String: Any])?["artifact_sha256"] as? String == lineage["artifact_sha256"] as? String)
            #expect((again["trials"] as? [String: Any])?["number"] as? Int == 2, "\(again["trials"] ?? "")")
            #expect((again["lineage"] as? [String: Any])?["data_fingerprint"] as? String == lineage["data_fingerprint"] as? String, "the same bars")
            let firstThresholds = try #require(evaluation["thresholds"] as? [String: Any])
            let againThresholds = try #require((again["evaluation"] as? [String: Any])?["thresholds"] as? [String: Any])
            #expect(firstThresholds["trials"] as? Int == 1 && againThresholds["trials"] as? Int == 2)
            #expect((againThresholds["rank_ic_t_stat"] as? Double ?? 0) > (firstThresholds["rank_ic_t_stat"] as? Double ?? 0), "the bar rises with the trials")
            let firstNow = try await app.request(.GET, "/api/ml-models/\(ridgeID)", token: advisor).object
            #expect((firstNow["trials"] as? [String: Any])?["on_same_data"] as? Int == 2, "the first version sees the trials made since")
            #expect((evaluation["holdout"] as? [String: Any])?["metrics"] != nil, "the holdout was scored")

            let noise = try await Self.trained(app, token: advisor, Self.range.merging([
                "model_type": "gbdt", "symbols": Self.symbols("R"), "params": ["trees": 60, "max_leaves": 15, "min_samples_per_leaf": 50]]) { a, _ in a })
            #expect((noise["gate"] as? [String: Any])?["passed"] as? Bool == false, "\(noise["gate"] ?? "")")
            #expect((noise["trials"] as? [String: Any])?["number"] as? Int == 1, "another universe is other data: a first trial")
            #expect((noise["lineage"] as? [String: Any])?["data_fingerprint"] as? String != lineage["data_fingerprint"] as? String, "other bars")
            let noiseID = try #require(noise.string("model_id"))
            let refused = try await app.request(.POST, "/api/ml-models/\(noiseID)/deploy", token: advisor)
            #expect(refused.status == .unprocessableEntity && refused.errorCode == "gate_failed", "\(refused)")
            let notAdmin = try await app.request(.POST, "/api/ml-models/\(noiseID)/deploy", token: advisor, json: ["override_reason": "trust me"])
            #expect(notAdmin.status == .forbidden)
            let overridden = try await app.request(.POST, "/api/ml-models/\(noiseID)/deploy", token: admin, json: ["override_reason": "shadow test of the gbdt"])
            #expect(overridden.status == .ok, "\(overridden)")
            #expect(try await app.request(.GET, "/api/ml-models/\(ridgeID)", token: advisor).object.string("status") == "retired")

            // One step back: the ridge is deployed again, the gbdt retired; the history shows all three steps.
            let rolledBack = try await app.request(.POST, "/api/ml-models/rollback", token: advisor, json: ["family": "ml"])
            #expect(rolledBack.status == .ok && rolledBack.object.string("model_id") == ridgeID, "\(rolledBack)")
            #expect(try await app.request(.GET, "/api/ml-models/\(noiseID)", token: advisor).object.string("status") == "retired")
            let history = try await app.request(.GET, "/api/ml-models/deployments?family=ml", token: advisor).array
            #expect(history.map { $0.string("action") ?? "" } == ["rollback", "override", "deploy"])
            let deployedNow = try await app.request(.GET, "/api/ml-models?family=ml&status=deployed", token: advisor).array
            #expect(deployedNow.map { $0.string("model_id") } == [ridgeID], "one deployed version per family")
            #expect(try await app.count("audit_log", where: "action LIKE 'model.%'") >= 6)
        }
    }

    @Test("bad training requests are refused by field before any job is queued", arguments: TestDatabase.available)
    func badRequests(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let base = Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a }
            let cases: [(String, [String: any Sendable])] = [
                ("model_type", base.merging(["model_type": "lstm"]) { _, b in b }),
                ("symbols", base.merging(["symbols": [String]()]) { _, b in b }),
                ("from", base.merging(["from": "2019-06-13", "to": "2017-07-14"]) { _, b in b }),
                ("from", base.merging(["from": "2019-01-02"]) { _, b in b }),
                ("params.learning_rate", base.merging(["model_type": "gbdt", "params": ["learning_rate": -0.1]]) { _, b in b }),
                ("params.max_depth", base.merging(["model_type": "gbdt", "params": ["max_depth": 0]]) { _, b in b }),
                ("params.depth", base.merging(["model_type": "gbdt", "params": ["depth": 3]]) { _, b in b }),
                ("horizon_days", base.merging(["horizon_days": 0]) { _, b in b }),
                ("symbols", base.merging(["symbols": ["NOPE1", "NOPE2", "NOPE3"]]) { _, b in b }),
            ]
            for (field, body) in cases {
                let response = try await Self.train(app, token: token, body)
                #expect(response.status == .unprocessableEntity && response.errorField == field, "\(field): \(response)")
            }
            #expect(try await app.count("jobs", where: "kind = 'ml.train'") == 0, "nothing was queued")
            #expect(try await app.count("ml_models") == 0)
            let client = try await app.request(.POST, "/api/ml-models/train", token: nil, json: base)
            #expect(client.status == .unauthorized)
            #expect(try await app.request(.GET, "/api/ml-models/no-such-model", token: token).status == .notFound)
            #expect(try await app.request(.POST, "/api/ml-models/rollback", token: token, json: ["family": "ml"]).status == .conflict)
            #expect(try await app.request(.POST, "/api/ml-models/rollback", token: token, json: ["family": "quantum"]).errorField == "family")
        }
    }

    @Test("the deployed version serves predictions stamped with it, stores them, and a rebalance batch records it", arguments: TestDatabase.available)
    func deployedVersionServesAndTrades(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let admin = try await app.loginAdmin()
            let before = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)", token: scenario.token)
            #expect(before.status == .ok)
            #expect(before.array.first?.string("model_version") == "momentum-12-1/v1", "the baseline serves, labelled, while nothing is deployed")

            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            formatter.timeZone = TimeZone(identifier: "UTC")
            let model = try await Self.trained(app, token: scenario.token, [
                "model_type": "ridge", "portfolio_id": 1, "from": formatter.string(from: TestFixtures.now.addingTimeInterval(-740 * 86_400)),
                "to": formatter.string(from: TestFixtures.now), "horizon_days": 10, "seed": 3])
            let modelID = try #require(model.string("model_id"))
            // Simulated prices carry no planted signal: the gate decides, an admin may still deploy with a reason.
            let deploy = try await app.request(.POST, "/api/ml-models/\(modelID)/deploy", token: admin,
                                               json: ["override_reason": "integration test of the serving path"])
            #expect(deploy.status == .ok, "\(deploy)")

            let served = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)", token: scenario.token)
            #expect(served.status == .ok)
            #expect(!served.array.isEmpty && served.array.allSatisfy { $0.string("model_version") == "ridge/v1" }, "\(served)")
            #expect(try await app.count("predictions", where: "model_id = '\(modelID)' AND role = 'served'") == served.array.count)

            // A candidate in shadow: its predictions are stored beside the served ones, never served.
            let candidate = try await Self.trained(app, token: scenario.token, [
                "model_type": "gbdt", "portfolio_id": 1, "from": formatter.string(from: TestFixtures.now.addingTimeInterval(-740 * 86_400)),
                "to": formatter.string(from: TestFixtures.now), "horizon_days": 10, "seed": 3, "params": ["trees": 30, "min_samples_per_leaf": 30]])
            let candidateID = try #require(candidate.string("model_id"))
            let shadowOn = try await app.request(.POST, "/api/ml-models/\(candidateID)/shadow", token: scenario.token, json: ["enabled": true])
            #expect(shadowOn.status == .ok && shadowOn.object["shadow"] as? Bool == true, "\(shadowOn)")
            let again = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)", token: scenario.token)
            #expect(again.array.allSatisfy { $0.string("model_version") == "ridge/v1" }, "the deployed version still serves")
            let shadowed = try await app.request(.GET, "/api/ml-models/\(candidateID)/predictions", token: scenario.token).array
            #expect(shadowed.count == again.array.count && shadowed.allSatisfy { $0.string("role") == "shadow" && $0.string("model_version") == "gbdt/v1" })
            #expect(try await app.request(.POST, "/api/ml-models/\(modelID)/shadow", token: scenario.token, json: ["enabled": true]).status == .conflict,
                    "the deployed version is not a candidate")

            // Later, once the horizon has passed: shadow and served scored by what the prices did.
            let pending = try await app.request(.GET, "/api/ml-models/\(candidateID)/shadow-comparison", token: scenario.token).object
            #expect(pending.int("evaluated_cross_sections") == 0 && (pending.int("pending_cross_sections") ?? 0) >= 1, "\(pending)")
            app.clock.set(TestFixtures.now.addingTimeInterval(-30 * 86_400))
            _ = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)", token: scenario.token)
            app.clock.set(TestFixtures.now)
            let compared = try await app.request(.GET, "/api/ml-models/\(candidateID)/shadow-comparison", token: scenario.token).object
            #expect((compared.int("evaluated_cross_sections") ?? 0) >= 1, "\(compared)")
            #expect(compared["shadow_mean_rank_ic"] as? Double != nil && compared["served_mean_rank_ic"] as? Double != nil)
            #expect((compared["served_versions"] as? [String]) == ["ridge/v1"])

            let batch = try await scenario.rebalance(app)
            #expect(batch.status == .ok, "\(batch)")
            #expect(batch.object.string("model_id") == modelID)
            #expect(batch.object.string("model_version") == "ridge/v1")
        }
    }

    @Test("a deployed artifact whose bytes no longer match its SHA-256 is never served: the labelled baseline serves and a critical alert is raised",
          arguments: TestDatabase.available)
    func tamperedArtifactIsRefused(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let scenario = try await TradingScenario.make(app)
            let admin = try await app.loginAdmin()
            let model = try await Self.trained(app, token: scenario.token, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a })
            let modelID = try #require(model.string("model_id"))
            let deploy = try await app.request(.POST, "/api/ml-models/\(modelID)/deploy", token: admin, json: ["override_reason": "tamper test"])
            #expect(deploy.status == .ok, "\(deploy)")
            // Someone with database access swaps the weights (same shape, other numbers) before this process loads them.
            try await app.database.write { session in
                try await session.sql.raw("UPDATE ml_models SET artifact = \(bind: Data("{\"tampered\":true}".utf8)) WHERE model_id = \(bind: modelID)").run()
            }
            let served = try await app.request(.GET, "/api/ml-models/predict/\(scenario.clientID)", token: scenario.token)
            #expect(served.status == .ok, "\(served)")
            #expect(!served.array.isEmpty && served.array.allSatisfy { $0.string("model_version") == "momentum-12-1/v1" }, "the baseline serves, labelled: \(served)")
            try await app.eventually("the tamper alert") {
                try await app.count("alerts", where: "kind = 'model_artifact_tampered' AND severity = 'critical'") == 1
            }
            #expect(try await app.count("predictions", where: "model_id = '\(modelID)'") == 0, "nothing was served by the tampered version")
        }
    }

    @Test("an RL policy trained on the planted market passes its gate, deploys, and drives rl-policy batches; on noise it is refused", arguments: TestDatabase.available)
    func reinforcementLearning(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let scenario = try await TradingScenario.make(app, portfolioID: 4)
            let none = try await scenario.rebalance(app, portfolioID: 4)
            #expect(none.status == .conflict && none.errorCode == "no_rl_policy_deployed", "\(none)")

            let body: [String: any Sendable] = ["from": "2017-07-14", "to": "2019-06-13", "episodes": 300, "seed": 3]
            let planted = try await Self.trainedRL(app, token: scenario.token, body.merging(["symbols": Self.symbols("P")]) { a, _ in a })
            #expect(planted.string("family") == "rl" && planted.string("version") == "rl_policy/v1")
            let report = try #require(planted["policy_evaluation"] as? [String: Any])
            #expect((planted["gate"] as? [String: Any])?["passed"] as? Bool == true, "\(planted["gate"] ?? "")")
            let sharpe = (report["portfolio"] as? [String: Any])?["sharpe"] as? Double ?? -9
            let equal = ((report["baselines"] as? [String: Any])?["equal_weight"] as? [String: Any])?["sharpe"] as? Double ?? 9
            #expect(sharpe > equal, "beats equal weight out of sample")
            let policyID = try #require(planted.string("model_id"))
            #expect(try await app.request(.POST, "/api/ml-models/\(policyID)/deploy", token: scenario.token).status == .ok)

            let batch = try await scenario.rebalance(app, portfolioID: 4)
            #expect(batch.status == .ok, "\(batch)")
            #expect(batch.object.string("model_id") == policyID && batch.object.string("strategy") == "rl_policy")
            #expect(batch.object.string("model_version") == "rl_policy/v1")

            let noise = try await Self.trainedRL(app, token: scenario.token, body.merging(["symbols": Self.symbols("R")]) { a, _ in a })
            #expect((noise["gate"] as? [String: Any])?["passed"] as? Bool == false, "\(noise["gate"] ?? "")")
            let refused = try await app.request(.POST, "/api/ml-models/\(try #require(noise.string("model_id")))/deploy", token: scenario.token)
            #expect(refused.status == .unprocessableEntity && refused.errorCode == "gate_failed")

            for (field, bad) in [("episodes", body.merging(["episodes": 0, "symbols": Self.symbols("P")]) { _, b in b }),
                                 ("params.learning_rate", body.merging(["params": ["learning_rate": -1], "symbols": Self.symbols("P")]) { _, b in b }),
                                 ("params.horizon_days", body.merging(["params": ["horizon_days": 1e300], "symbols": Self.symbols("P")]) { _, b in b }),
                                 ("params.depth", body.merging(["params": ["depth": 3], "symbols": Self.symbols("P")]) { _, b in b })] {
                let response = try await app.request(.POST, "/api/rl/train", token: scenario.token, json: bad)
                #expect(response.status == .unprocessableEntity && response.errorField == field, "\(field): \(response)")
            }
        }
    }

    static func trainedRL(_ app: KeelTestApp, token: String, _ body: [String: any Sendable]) async throws -> [String: Any] {
        let submitted = try await app.request(.POST, "/api/rl/train", token: token, json: body)
        #expect(submitted.status == .accepted, "\(submitted)")
        let jobID = try #require(submitted.object.string("job_id")), modelID = try #require(submitted.object.string("model_id"))
        try await app.eventually("RL training job \(jobID)", timeout: 120) {
            let status = try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object.string("status")
            return status == "succeeded" || status == "failed"
        }
        #expect(try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object.string("status") == "succeeded")
        return try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
    }

    @Test("a training whose worker died is re-queued and trained once; when its attempts run out the version fails, never stays training", arguments: TestDatabase.available)
    func deadWorker(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let body = Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a }
            let first = try await Self.train(app, token: token, body), second = try await Self.train(app, token: token, body)
            let firstJob = try #require(first.object.string("job_id")), secondJob = try #require(second.object.string("job_id"))

            // A worker claims both and dies; the second was already on its last attempt.
            let now = app.clock.now()
            _ = try await app.database.write { session in
                try await session.jobs.claim(kinds: ["ml.train"], owner: "worker-that-died", now: now, leaseUntil: now.addingTimeInterval(30), in: session)
            }
            _ = try await app.database.write { session in
                try await session.jobs.claim(kinds: ["ml.train"], owner: "worker-that-died", now: now, leaseUntil: now.addingTimeInterval(30), in: session)
            }
            try await app.database.write { try await $0.sql.raw("UPDATE jobs SET attempts = max_attempts WHERE job_id = \(bind: secondJob)").run() }
            #expect(try await app.request(.GET, "/api/ml-models/\(try #require(first.object.string("model_id")))", token: token).object.string("status") == "training")

            app.clock.advance(by: 31)
            await app.services.runner.start()
            try await app.eventually("the re-queued training", timeout: 120) {
                try await app.request(.GET, "/api/jobs/\(firstJob)", token: token).object.string("status") == "succeeded"
            }
            #expect(try await app.request(.GET, "/api/ml-models/\(try #require(first.object.string("model_id")))", token: token).object.string("status") == "trained")
            try await app.eventually("the exhausted training to fail", timeout: 30) {
                try await app.request(.GET, "/api/jobs/\(secondJob)", token: token).object.string("status") == "failed"
            }
            let failed = try await app.request(.GET, "/api/ml-models/\(try #require(second.object.string("model_id")))", token: token).object
            #expect(failed.string("status") == "failed" && failed.string("error")?.isEmpty == false, "\(failed)")
        }
    }

    @Test("gbdt on the planted market: evaluation per window and overall with the baselines side by side, and the parameters as trained", arguments: TestDatabase.available)
    func gbdtEvaluationStored(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let model = try await Self.trained(app, token: token, Self.range.merging([
                "model_type": "gbdt", "symbols": Self.symbols("P"), "params": ["trees": 80, "max_leaves": 15, "min_samples_per_leaf": 50]]) { a, _ in a })
            #expect((model["gate"] as? [String: Any])?["passed"] as? Bool == true, "\(model["gate"] ?? "")")
            let evaluation = try #require(model["evaluation"] as? [String: Any])
            let windows = try #require(evaluation["windows"] as? [[String: Any]])
            #expect(windows.count >= 3)
            for window in windows {
                #expect((window["model"] as? [String: Any])?["rank_ic_t_stat"] != nil)
                #expect((window["momentum_baseline"] as? [String: Any])?["mean_rank_ic"] != nil)
                #expect((window["train_to"] as? String ?? "") < (window["test_from"] as? String ?? ""), "train ends before test")
            }
            let portfolio = try #require(evaluation["portfolio"] as? [String: Any])
            for key in ["sharpe", "cagr", "max_drawdown", "turnover", "costs"] { #expect(portfolio[key] != nil, "portfolio \(key)") }
            #expect(((evaluation["overall"] as? [String: Any])?["hit_rate"] as? Double ?? 0) > 0.5)
            let params = try #require(model["params"] as? [String: Any])
            #expect(((params["training"] as? [String: Any])?["gbdt"] as? [String: Any])?["trees"] as? Int == 80, "the parameters as trained")
        }
    }

    @Test("two trainings make two versions, each with its own job, data range, seed and artifact; the list shows both", arguments: TestDatabase.available)
    func versionsAndLineage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let first = try await Self.trained(app, token: token, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a })
            let second = try await Self.trained(app, token: token, Self.range.merging([
                "model_type": "ridge", "symbols": Array(Self.symbols("P").prefix(20)), "seed": 11, "to": "2019-05-01"]) { _, b in b })
            #expect(first.string("version") == "ridge/v1" && second.string("version") == "ridge/v2")
            let a = try #require(first["lineage"] as? [String: Any]), b = try #require(second["lineage"] as? [String: Any])
            #expect(a["training_job_id"] as? String != b["training_job_id"] as? String)
            #expect(a["seed"] as? Int == 7 && b["seed"] as? Int == 11)
            #expect((b["symbols"] as? [String])?.count == 20)
            #expect(a["artifact_sha256"] as? String != b["artifact_sha256"] as? String, "other data, other model")
            let listed = try await app.request(.GET, "/api/ml-models?family=ml", token: token).array.compactMap { $0.string("version") }
            #expect(Set(listed) == ["ridge/v2", "ridge/v1"], "both versions (the test clock stands still: same creation time)")
            #expect(try await app.request(.GET, "/api/ml-models?status=bogus", token: token).errorField == "status")
        }
    }

    @Test("a training job that finds no data when it runs fails with the reason, and so does its version", arguments: TestDatabase.available)
    func trainingFailsWithTheReason(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let submitted = try await Self.train(app, token: token, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P")]) { a, _ in a })
            let jobID = try #require(submitted.object.string("job_id")), modelID = try #require(submitted.object.string("model_id"))
            // The bars go before a worker gets to the job.
            try await app.database.write { try await $0.sql.raw("DELETE FROM market_bars WHERE symbol LIKE 'P%'").run() }
            await app.services.runner.start()
            try await app.eventually("the job to fail", timeout: 60) {
                try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object.string("status") == "failed"
            }
            let job = try await app.request(.GET, "/api/jobs/\(jobID)", token: token).object
            #expect(job.int("attempts") == 1, "a data problem is not retried: \(job)")
            #expect(job.string("error")?.contains("trading days") == true, "\(job)")
            let model = try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
            #expect(model.string("status") == "failed" && model.string("error")?.contains("trading days") == true, "\(model)")
        }
    }

    @Test("concurrent trainings on the same data get distinct trial numbers 1...n (the registry's upsert serialises them)",
          arguments: TestDatabase.available.filter { $0 == .postgres })
    func concurrentTrialsAreNumberedOnce(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            let submitted = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for seed in 0..<8 {
                    group.addTask {
                        let response = try await Self.train(app, token: token, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P"), "seed": seed]) { _, b in b })
                        #expect(response.status == .accepted, "\(response)")
                        return (try #require(response.object.string("model_id")), try #require(response.object.string("job_id")))
                    }
                }
                var all: [(String, String)] = []
                for try await pair in group { all.append(pair) }
                return all
            }
            var numbers: [Int] = []
            for (modelID, jobID) in submitted {
                _ = try await app.request(.POST, "/api/jobs/\(jobID)/cancel", token: token)
                let model = try await app.request(.GET, "/api/ml-models/\(modelID)", token: token).object
                numbers.append(try #require((model["trials"] as? [String: Any])?["number"] as? Int, "\(model)"))
                #expect((model["trials"] as? [String: Any])?["on_same_data"] as? Int == 8)
            }
            #expect(numbers.sorted() == Array(1...8), "\(numbers)")
        }
    }

    @Test("concurrent deploys and rollbacks of one family leave exactly one deployed version and never a 5xx",
          arguments: TestDatabase.available.filter { $0 == .postgres })
    func concurrentDeploys(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            try await Self.storeMarkets(app)
            let token = try await app.login()
            var ids: [String] = []
            for seed in [7, 8, 9] {
                let model = try await Self.trained(app, token: token, Self.range.merging(["model_type": "ridge", "symbols": Self.symbols("P"), "seed": seed]) { _, b in b })
                ids.append(try #require(model.string("model_id")))
            }
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for round in 0..<12 {
                    let id = ids[round % ids.count]
                    group.addTask {
                        round % 4 == 3
                            ? try await app.request(.POST, "/api/ml-models/rollback", token: token, json: ["family": "ml"]).status.code
                            : try await app.request(.POST, "/api/ml-models/\(id)/deploy", token: token).status.code
                    }
                }
                var all: [UInt] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.allSatisfy { $0 < 500 }, "\(statuses)")
            #expect(statuses.contains(200))
            #expect(try await app.count("ml_models", where: "status = 'deployed'") == 1)
        }
    }
}
