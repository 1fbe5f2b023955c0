import Foundation
import KeelML
import KeelStore
import NIOConcurrencyHelpers

/// Which predictor serves now: the deployed ML version, else the configured baseline (labelled as such).
/// Artifacts never change once stored, so each version is decoded once per process.
public final class ActivePredictor: Sendable {
    public struct Resolved: Sendable {
        public let predictor: any ReturnPredictor
        /// The registry id, or the baseline's version label when no version is deployed.
        public let modelID: String
    }

    let baseline: any ReturnPredictor
    private let decoded = NIOLockedValueBox<[String: TrainedModelPredictor]>([:])
    private let policies = NIOLockedValueBox<[String: RLPolicyStrategy]>([:])

    public struct ResolvedPolicy: Sendable {
        public let strategy: RLPolicyStrategy
        public let modelID: String
        public let version: String
    }

    /// The deployed RL policy, nil when none is.
    public func resolvePolicy(session: Session) async throws -> ResolvedPolicy? {
        guard let deployed = try await session.models.deployed(family: .rl) else { return nil }
        if let known = policies.withLockedValue({ $0[deployed.modelID] }) {
            return ResolvedPolicy(strategy: known, modelID: deployed.modelID, version: deployed.version)
        }
        guard let artifact = try await session.models.artifact(deployed.modelID) else {
            throw ServiceError(.unavailable, code: "model_artifact_missing", message: "the deployed policy \(deployed.version) has no artifact")
        }
        let strategy = RLPolicyStrategy(policy: try JSONDecoder().decode(RLPolicy.self, from: artifact), version: deployed.version)
        policies.withLockedValue { $0[deployed.modelID] = strategy }
        return ResolvedPolicy(strategy: strategy, modelID: deployed.modelID, version: deployed.version)
    }

    public init(baseline: any ReturnPredictor) {
        self.baseline = baseline
    }

    public func resolve(session: Session) async throws -> Resolved {
        guard let deployed = try await session.models.deployed(family: .ml) else {
            return Resolved(predictor: baseline, modelID: baseline.modelVersion)
        }
        return Resolved(predictor: try await predictor(for: deployed, session: session), modelID: deployed.modelID)
    }

    /// The ML versions running in shadow, ready to predict.
    public func shadows(session: Session) async throws -> [Resolved] {
        var resolved: [Resolved] = []
        for model in try await session.models.shadows(family: .ml) {
            resolved.append(Resolved(predictor: try await predictor(for: model, session: session), modelID: model.modelID))
        }
        return resolved
    }

    func predictor(for model: MLModelRecord, session: Session) async throws -> TrainedModelPredictor {
        if let known = decoded.withLockedValue({ $0[model.modelID] }) { return known }
        guard let artifact = try await session.models.artifact(model.modelID) else {
            throw ServiceError(.unavailable, code: "model_artifact_missing", message: "model \(model.version) has no artifact")
        }
        let predictor = TrainedModelPredictor(model: try TrainedPredictor.load(artifact), modelVersion: model.version, horizonDays: model.horizonDays)
        decoded.withLockedValue { $0[model.modelID] = predictor }
        return predictor
    }
}
