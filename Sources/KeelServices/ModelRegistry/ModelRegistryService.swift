import Foundation
import KeelML
import KeelStore

/// Model versions, one deployed per family, deploy and one-step rollback, all audited. A version may be deployed
/// only when it passed the gate, unless an admin overrides with a reason.
public struct ModelRegistryService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func list(family: String?, status: String?, limit: Int?, by principal: Principal) async throws -> [MLModelRecord] {
        try principal.ensureStaff()
        let family = try family.map { text -> ModelFamily in
            guard let parsed = ModelFamily(rawValue: text) else { throw ServiceError.invalid("family", "family must be ml or rl") }
            return parsed
        }
        let status = try status.map { text -> ModelStatus in
            guard let parsed = ModelStatus(rawValue: text) else {
                throw ServiceError.invalid("status", "status must be one of \(ModelStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return parsed
        }
        let count = try FieldValidation.range(limit ?? 100, 1...500, field: "limit")
        try await settleStaleTraining()
        return try await context.database.read { try await $0.models.list(family: family, status: status, limit: count) }
    }

    public func get(_ modelID: String, by principal: Principal) async throws -> MLModelRecord {
        try principal.ensureStaff()
        try await settleStaleTraining()
        guard let model = try await context.database.read({ try await $0.models.find(modelID) }) else {
            throw ServiceError.notFound("model \(modelID)", field: "model_id")
        }
        return model
    }

    /// The version's trial number on its data and how many trials that data has had since.
    public func trials(of modelID: String, by principal: Principal) async throws -> TrialSummary? {
        try principal.ensureStaff()
        return try await context.database.read { session in
            guard let trial = try await session.trials.find(modelID: modelID) else { return nil }
            return TrialSummary(number: trial.trialNumber, onSameData: try await session.trials.count(key: trial.trialKey))
        }
    }

    /// A version whose training job ended without it (its worker died on the last attempt, or it was cancelled)
    /// is failed with the job's reason: no version stays `training` with nothing running it.
    func settleStaleTraining() async throws {
        let stale = try await context.database.read { session -> [(String, String)] in
            var found: [(String, String)] = []
            for model in try await session.models.list(family: nil, status: .training, limit: 500) {
                guard let jobID = model.trainingJobID, let job = try await session.jobs.find(jobID), job.status.isFinished else { continue }
                found.append((model.modelID, job.error ?? "the training job ended \(job.status.rawValue)"))
            }
            return found
        }
        guard !stale.isEmpty else { return }
        let now = context.clock.now()
        try await context.database.write { session in
            for (modelID, reason) in stale where try await session.models.find(modelID)?.status == .training {
                try await session.models.fail(modelID, error: reason, at: now)
            }
        }
    }

    public func deploy(_ modelID: String, overrideReason: String?, by principal: Principal) async throws -> MLModelRecord {
        try principal.ensureStaff()
        let reason = overrideReason?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let reason, !reason.isEmpty { try principal.ensureAdmin() }
        if let reason, reason.count > 500 { throw ServiceError.invalid("override_reason", "override_reason must be at most 500 characters") }
        if let reason { try FieldValidation.printable(reason, field: "override_reason") }
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let found = try await session.models.find(modelID) else { throw ServiceError.notFound("model \(modelID)", field: "model_id") }
            // One deployment of a family at a time; the version is read again under the lock.
            try await session.models.lockFamily(found.family, in: session)
            guard let model = try await session.models.find(modelID) else { throw ServiceError.notFound("model \(modelID)", field: "model_id") }
            guard model.status == .trained || model.status == .retired else {
                throw ServiceError.conflict("model_not_deployable", "model \(model.version) is \(model.status.rawValue); only a trained version can be deployed")
            }
            let overriding = model.gatePassed != true
            if overriding && (reason ?? "").isEmpty {
                let reasons = (try? StoredJSON.decode(GateVerdict.self, model.gate ?? "")).map { $0.reasons.joined(separator: "; ") } ?? "not evaluated"
                throw ServiceError(.validation, code: "gate_failed", message: "\(model.version) did not pass the deployment gate: \(reasons)", field: "override_reason")
            }
            return try await Self.switchTo(model, session: session, action: overriding ? "override" : "deploy", reason: overriding ? reason : nil,
                                           by: principal.userID, at: now)
        }
    }

    /// Deploys again the version the last deployment of `family` replaced.
    public func rollback(family text: String?, by principal: Principal) async throws -> MLModelRecord {
        try principal.ensureStaff()
        guard let text else { throw ServiceError.invalid("family", "family is required: ml or rl") }
        guard let family = ModelFamily(rawValue: text) else { throw ServiceError.invalid("family", "family must be ml or rl") }
        let now = context.clock.now()
        return try await context.database.write { session in
            try await session.models.lockFamily(family, in: session)
            guard let last = try await session.models.deployments(family: family, limit: 1).first, let previousID = last.previousModelID,
                  let previous = try await session.models.find(previousID) else {
                throw ServiceError.conflict("nothing_to_roll_back", "no earlier \(family.rawValue) version to roll back to")
            }
            return try await Self.switchTo(previous, session: session, action: "rollback", reason: "rollback from \(last.modelID)",
                                           by: principal.userID, at: now)
        }
    }

    public func deployments(family text: String?, limit: Int?, by principal: Principal) async throws -> [ModelDeploymentRecord] {
        try principal.ensureStaff()
        let family = try text.map { value -> ModelFamily in
            guard let parsed = ModelFamily(rawValue: value) else { throw ServiceError.invalid("family", "family must be ml or rl") }
            return parsed
        }
        let count = try FieldValidation.range(limit ?? 100, 1...500, field: "limit")
        return try await context.database.read { try await $0.models.deployments(family: family, limit: count) }
    }

    /// Runs a trained ML version in shadow (its predictions stored beside the deployed one's), or stops it.
    public func setShadow(_ modelID: String, enabled: Bool?, by principal: Principal) async throws -> MLModelRecord {
        try principal.ensureStaff()
        guard let enabled else { throw ServiceError.invalid("enabled", "enabled (true or false) is required") }
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let model = try await session.models.find(modelID) else { throw ServiceError.notFound("model \(modelID)", field: "model_id") }
            guard model.family == .ml else { throw ServiceError.conflict("shadow_not_supported", "only ML predictors run in shadow") }
            guard model.status == .trained || !enabled else {
                throw ServiceError.conflict("model_not_shadowable", "model \(model.version) is \(model.status.rawValue); only a trained, undeployed version runs in shadow")
            }
            try await session.models.setShadow(modelID, enabled)
            try await session.operations.append(AuditEntry(at: now, actor: principal.userID, action: enabled ? "model.shadow_on" : "model.shadow_off",
                                                            entityType: "ml_model", entityID: modelID, clientID: nil,
                                                            details: try StoredJSON.encode(["version": model.version])))
            guard let updated = try await session.models.find(modelID) else { throw ServiceError.notFound("model \(modelID)") }
            return updated
        }
    }

    /// What a version predicted (served or in shadow), newest first.
    public func predictions(_ modelID: String, limit: Int?, by principal: Principal) async throws -> [StoredPrediction] {
        try principal.ensureStaff()
        let count = try FieldValidation.range(limit ?? 200, 1...5000, field: "limit")
        return try await context.database.read { session in
            guard try await session.models.find(modelID) != nil || modelID.hasPrefix("momentum") else {
                throw ServiceError.notFound("model \(modelID)", field: "model_id")
            }
            return try await session.models.predictions(modelID: modelID, limit: count)
        }
    }

    /// The deployed version of `family`, if any (what predictions and the RL portfolio use).
    public func deployed(_ family: ModelFamily) async throws -> MLModelRecord? {
        try await context.database.read { try await $0.models.deployed(family: family) }
    }

    /// Inside the caller's transaction: retires the family's deployed version, deploys `model`, records and audits it.
    static func switchTo(_ model: MLModelRecord, session: Session, action: String, reason: String?, by actor: String, at now: Date) async throws -> MLModelRecord {
        let current = try await session.models.deployed(family: model.family)
        if let current, current.modelID == model.modelID { return current }
        if let current { try await session.models.setStatus(current.modelID, .retired) }
        try await session.models.setStatus(model.modelID, .deployed)
        try await session.models.recordDeployment(family: model.family, modelID: model.modelID, previousModelID: current?.modelID, action: action,
                                                  reason: reason, by: actor, at: now)
        var details = ["version": model.version, "action": action]
        if let current { details["previous"] = current.version }
        if let reason { details["reason"] = reason }
        try await session.operations.append(AuditEntry(at: now, actor: actor, action: "model.\(action)", entityType: "ml_model",
                                                        entityID: model.modelID, clientID: nil, details: try StoredJSON.encode(details)))
        guard let deployed = try await session.models.find(model.modelID) else { throw ServiceError.notFound("model \(model.modelID)") }
        return deployed
    }
}
