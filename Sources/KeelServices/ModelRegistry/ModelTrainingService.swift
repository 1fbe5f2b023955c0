import Foundation
import KeelCore
import KeelML
import KeelStore

/// Trains ML predictors as jobs: the request is validated against the stored data before anything is queued,
/// the version row and its `ml.train` job are written in one transaction, and the job evaluates walk-forward,
/// applies the gate and stores the artifact with its SHA-256.
public struct ModelTrainingService: Sendable {
    let context: ServiceContext
    public var evaluation = PredictorEvaluation()
    public var policyEvaluation = PolicyEvaluation()
    public var budget = TrainingBudget()

    public init(context: ServiceContext) {
        self.context = context
    }

    public struct Submitted: Sendable {
        public var modelID: String
        public var jobID: String
        public var version: String
    }

    public func submit(_ request: MLTrainingRequest, by principal: Principal, jobs: JobService) async throws -> Submitted {
        try principal.ensureStaff()
        let plan = try await request.validated(today: context.clock.now(), universe: universe)
        let (histories, _, days) = try await storedHistory(symbols: plan.symbols, from: plan.from, to: plan.to)
        let needed = evaluation.minimumDays(horizon: plan.horizonDays)
        guard days >= needed else {
            throw ServiceError.invalid("from", "\(days) trading days of stored bars lie between from and to for these symbols; walk-forward training with horizon_days \(plan.horizonDays) needs at least \(needed)")
        }
        try budget.check(plan.training, rows: histories.reduce(0) { $0 + $1.count })
        return try await store(NewMLModel(modelID: UUID().uuidString.lowercased(), family: .ml, modelType: plan.training.kind.rawValue,
                                          params: try StoredJSON.encode(plan), features: try StoredJSON.encode(FeatureBuilder.names),
                                          symbols: try StoredJSON.encode(plan.symbols), dataFrom: plan.from, dataTo: plan.to,
                                          horizonDays: plan.horizonDays, seed: plan.seed),
                               jobKind: MLTrainingJobHandler.kind, by: principal, jobs: jobs)
    }

    /// `POST /api/rl/train`: an RL version row and its `rl.train` job, like an ML training.
    public func submit(_ request: RLTrainingRequest, by principal: Principal, jobs: JobService) async throws -> Submitted {
        try principal.ensureStaff()
        let plan = try await request.validated(today: context.clock.now(), universe: universe)
        let (_, present, days) = try await storedHistory(symbols: plan.symbols, from: plan.from, to: plan.to)
        let needed = policyEvaluation.minimumDays(horizon: plan.horizonDays, steps: plan.parameters.stepsPerEpisode)
        guard days >= needed else {
            throw ServiceError.invalid("from", "\(days) trading days of stored bars lie between from and to; RL training with \(plan.parameters.stepsPerEpisode) steps of \(plan.horizonDays) days needs at least \(needed)")
        }
        try budget.check(plan.parameters, horizonDays: plan.horizonDays, symbols: present)
        return try await store(NewMLModel(modelID: UUID().uuidString.lowercased(), family: .rl, modelType: "rl_policy", params: try StoredJSON.encode(plan),
                                          features: try StoredJSON.encode(FeatureBuilder.names), symbols: try StoredJSON.encode(plan.symbols),
                                          dataFrom: plan.from, dataTo: plan.to, horizonDays: plan.horizonDays, seed: plan.seed),
                               jobKind: RLTrainingJobHandler.kind, by: principal, jobs: jobs)
    }

    /// A model portfolio's universe, for a request that names the portfolio instead of symbols.
    private func universe(_ portfolioID: Int) async throws -> [String] {
        guard let portfolio = try await context.database.read({ try await $0.referenceData.modelPortfolio(portfolioID) }) else {
            throw ServiceError(.notFound, code: "not_found", message: "model portfolio \(portfolioID) not found", field: "portfolio_id")
        }
        return portfolio.universe
    }

    /// The stored bars a training would read, how many of the symbols have any (at least 3, or a 422 naming
    /// `symbols`) and on how many distinct days.
    private func storedHistory(symbols: [String], from: Date, to: Date) async throws -> (histories: [BarSeries], symbolsPresent: Int, days: Int) {
        let histories = try await loadHistories(symbols: symbols, from: from, to: to)
        let present = Set(histories.filter { $0.count > 0 }.map(\.symbol)).count
        guard present >= 3 else {
            throw ServiceError.invalid("symbols", "only \(present) of the symbols have stored bars in the range; at least 3 are needed")
        }
        return (histories, present, Set(histories.flatMap(\.timestamps)).count)
    }

    func loadHistories(symbols: [String], from: Date, to: Date) async throws -> [BarSeries] {
        try await context.database.read { try await $0.marketBars.history(symbols: symbols, since: from) }.map { $0.truncated(through: to) }
    }

    /// The version row, its job and the audit entry, in one transaction.
    func store(_ new: NewMLModel, jobKind: String, by principal: Principal, jobs: JobService) async throws -> Submitted {
        let now = context.clock.now()
        let modelID = new.modelID
        let payload = try StoredJSON.encode(["model_id": modelID])
        let created = try await context.database.write { session -> (MLModelRecord, JobRecord) in
            try await session.models.lockVersionNumbering(new.modelType, in: session)
            let model = try await session.models.create(new, by: principal.userID, at: now)
            // Every submitted training is a numbered trial on its data, counted in the same transaction.
            _ = try await session.trials.record(modelID: modelID, key: TrialKey.of(new), at: now)
            let job = try await session.jobs.enqueue(NewJob(kind: jobKind, payload: payload, maxAttempts: MLTrainingJobHandler.attempts,
                                                            runAfter: now, idempotencyKey: "train:\(modelID)", createdBy: principal.userID),
                                                     id: UUID().uuidString.lowercased(), at: now)
            try await session.models.attachJob(modelID, jobID: job.jobID)
            try await session.operations.append(AuditEntry(at: now, actor: principal.userID, action: "model.train", entityType: "ml_model",
                                                            entityID: modelID, clientID: nil,
                                                            details: try StoredJSON.encode(["version": model.version, "job_id": job.jobID])))
            return (model, job)
        }
        jobs.notifyRunner()
        return Submitted(modelID: modelID, jobID: created.1.jobID, version: created.0.version)
    }

    /// What one family's training produced: the artifact and what is stored beside it.
    struct TrainingOutcome: Sendable {
        var artifact: Data
        var metrics: String
        var gate: GateVerdict
        var features: [String]
        /// The per-day Sharpe over the best baseline, kept in the trial registry.
        var activeSharpe: Double?
        var dataFingerprint: String
        /// Read on the compute thread: the first one hashes the executable.
        var buildVersion = TrainingLineage.buildVersion
    }

    /// The ML job's work: walk-forward evaluation, gate, the final fit as the artifact.
    func execute(modelID: String, job: RunningJob) async throws -> String? {
        try await train(modelID: modelID, job: job) { model, trials in
            let plan = try StoredJSON.decode(MLTrainingPlan.self, model.params)
            let (histories, dataset) = try await prepare(symbols: plan.symbols, from: plan.from, to: plan.to, horizonDays: plan.horizonDays, job: job)
            await job.progress(0.2, "walk-forward evaluation")
            let evaluation = self.evaluation, training = plan.training
            // On the compute threads: the windows' fits and the replays never hold the pool that serves HTTP.
            return try await context.compute.run {
                let (trained, report) = try evaluation.evaluate(training, dataset: dataset, histories: histories, trials: trials,
                                                                cancellation: job.cancellation) { done in
                    job.note(progress: 0.2 + 0.75 * done, "walk-forward evaluation")
                }
                return TrainingOutcome(artifact: try trained.artifact(), metrics: try StoredJSON.encode(report), gate: report.gate,
                                       features: trained.featureNames, activeSharpe: report.thresholds?.activeSharpe,
                                       dataFingerprint: TrainingLineage.fingerprint(histories))
            }
        }
    }

    /// The RL job's work: train, replay out of sample, gate, store the policy as the artifact.
    func executeRL(modelID: String, job: RunningJob) async throws -> String? {
        try await train(modelID: modelID, job: job) { model, trials in
            let plan = try StoredJSON.decode(RLTrainingPlan.self, model.params)
            let (histories, dataset) = try await prepare(symbols: plan.symbols, from: plan.from, to: plan.to, horizonDays: plan.horizonDays, job: job)
            await job.progress(0.2, "training the policy")
            let evaluation = self.policyEvaluation, parameters = plan.parameters
            return try await context.compute.run {
                let (policy, report) = try evaluation.evaluate(parameters, dataset: dataset, histories: histories, trials: trials,
                                                               cancellation: job.cancellation) { done in
                    job.note(progress: 0.2 + 0.75 * done, "training the policy")
                }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                return TrainingOutcome(artifact: try encoder.encode(policy), metrics: try StoredJSON.encode(report), gate: report.gate,
                                       features: policy.featureNames, activeSharpe: report.thresholds?.activeSharpe,
                                       dataFingerprint: TrainingLineage.fingerprint(histories))
            }
        }
    }

    /// Bars of the plan's range, checked for look-ahead, as a dataset.
    func prepare(symbols: [String], from: Date, to: Date, horizonDays: Int, job: RunningJob) async throws -> ([BarSeries], Dataset) {
        await job.progress(0.05, "loading bars")
        let histories = try await loadHistories(symbols: symbols, from: from, to: to)
        try job.checkpoint()
        await job.progress(0.1, "checking features for look-ahead")
        try LookAheadCheck().verify(FeatureBuilder(), histories: histories)
        let dataset = DatasetBuilder(horizonDays: horizonDays).build(histories)
        try job.checkpoint()
        return (histories, dataset)
    }

    /// Runs one version's training and stores it. A problem with the data or the settings fails the version at
    /// once with the reason; anything else is thrown so the job is retried, and recorded as the failure on the
    /// last attempt. A version no longer `training` (finished by an earlier attempt) is left as it is.
    func train(modelID: String, job: RunningJob, _ work: (MLModelRecord, TrialHistory) async throws -> TrainingOutcome) async throws -> String? {
        guard let model = try await context.database.read({ try await $0.models.find(modelID) }) else {
            throw ServiceError.notFound("model \(modelID)", field: "model_id")
        }
        guard model.status == .training else { return try StoredJSON.encode(["model_id": modelID, "status": model.status.rawValue]) }
        let finalAttempt = job.record.attempts >= job.record.maxAttempts
        do {
            let outcome = try await work(model, try await trialHistory(modelID))
            try job.checkpoint()
            let digest = Digest.sha256(outcome.artifact)
            let now = context.clock.now()
            let gate = try StoredJSON.encode(outcome.gate), features = try StoredJSON.encode(outcome.features)
            try await context.database.write { session in
                try await session.models.finishTraining(modelID, metrics: outcome.metrics, gatePassed: outcome.gate.passed, gate: gate, features: features,
                                                        artifact: outcome.artifact, sha256: digest, dataFingerprint: outcome.dataFingerprint,
                                                        buildVersion: outcome.buildVersion, at: now)
                if let sharpe = outcome.activeSharpe { try await session.trials.setActiveSharpe(modelID: modelID, sharpe) }
            }
            return try StoredJSON.encode(["model_id": modelID, "status": "trained", "gate_passed": outcome.gate.passed ? "true" : "false",
                                          "artifact_sha256": digest])
        } catch let interruption as JobInterruption {
            // Cancelled: the version ends now with the reason. Released at shutdown or taken by another worker: it
            // stays `training` for the attempt that follows.
            if interruption == .cancelled { try await failCancelled(modelID, jobID: job.id) }
            throw interruption
        } catch is CancellationError {
            // The worker is stopping: the runner puts the job back; the version stays `training` for the next worker.
            throw CancellationError()
        } catch let error where Self.isPermanent(error) || finalAttempt {
            let now = context.clock.now()
            let reason = (error as? ServiceError)?.message ?? String(describing: error)
            try await context.database.write { try await $0.models.fail(modelID, error: reason, at: now) }
            throw PermanentJobFailure(reason)
        }
    }

    /// The version's trial number on its data and the spread of the Sharpe ratios the earlier trials measured
    /// (a version from before the registry counts as a first trial).
    func trialHistory(_ modelID: String) async throws -> TrialHistory {
        try await context.database.read { session in
            guard let trial = try await session.trials.find(modelID: modelID) else { return TrialHistory() }
            let sharpes = try await session.trials.earlier(key: trial.trialKey, before: trial.trialNumber).compactMap(\.activeSharpe)
            guard sharpes.count >= 2 else { return TrialHistory(number: trial.trialNumber) }
            let mean = sharpes.reduce(0, +) / Double(sharpes.count)
            let variance = sharpes.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(sharpes.count - 1)
            return TrialHistory(number: trial.trialNumber, sharpeVariance: variance)
        }
    }

    /// A version whose training job was cancelled (running, or before it started) ends `failed` with that reason.
    func failCancelled(_ modelID: String, jobID: String) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            guard try await session.models.find(modelID)?.status == .training else { return }
            try await session.models.fail(modelID, error: "training was cancelled (job \(jobID))", at: now)
        }
    }

    static func isPermanent(_ error: any Error) -> Bool {
        error is ServiceError || error is LookAheadCheck.Violation || error is PredictorEvaluation.EvaluationError
            || error is GBDTParameters.Invalid || error is RidgeTrainer.TrainingError || error is DecodingError
    }
}
