import Crypto
import Foundation
import KeelML
import KeelStore
import NIOConcurrencyHelpers

/// Which predictor serves now: the deployed ML version, else the configured baseline (labelled as such).
/// Artifacts never change once stored, so each version is decoded once per process, after its bytes are checked
/// against the SHA-256 recorded at training: an artifact that does not match is never served (the baseline
/// serves instead, labelled as such) and raises a critical alert.
public final class ActivePredictor: Sendable {
    public struct Resolved: Sendable {
        public let predictor: any ReturnPredictor
        /// The registry id, or the baseline's version label when no version is deployed (or it cannot be trusted).
        public let modelID: String
    }

    let baseline: any ReturnPredictor
    let context: ServiceContext?
    private let decoded = NIOLockedValueBox<[String: TrainedModelPredictor]>([:])
    /// Refusals waiting for their alert: raised by the caller once its transaction has ended (SQLite's single
    /// writer may be held by that transaction while the artifact is checked).
    private let refusals = NIOLockedValueBox<[String]>([])
    private let policies = NIOLockedValueBox<[String: RLPolicyStrategy]>([:])

    public static let tamperedAlert = "model_artifact_tampered"

    public struct ResolvedPolicy: Sendable {
        public let strategy: RLPolicyStrategy
        public let modelID: String
        public let version: String
    }

    public init(baseline: any ReturnPredictor, context: ServiceContext? = nil) {
        self.baseline = baseline
        self.context = context
    }

    /// The deployed RL policy, nil when none is. A policy whose artifact fails its check is refused (503).
    public func resolvePolicy(session: Session) async throws -> ResolvedPolicy? {
        guard let deployed = try await session.models.deployed(family: .rl) else { return nil }
        if let known = policies.withLockedValue({ $0[deployed.modelID] }) {
            return ResolvedPolicy(strategy: known, modelID: deployed.modelID, version: deployed.version)
        }
        guard let artifact = try await verifiedArtifact(deployed, session: session) else {
            throw ServiceError(.unavailable, code: Self.tamperedAlert,
                               message: "the deployed policy \(deployed.version) does not match its recorded SHA-256 and is not served; redeploy or roll back")
        }
        let strategy = RLPolicyStrategy(policy: try JSONDecoder().decode(RLPolicy.self, from: artifact), version: deployed.version)
        policies.withLockedValue { $0[deployed.modelID] = strategy }
        return ResolvedPolicy(strategy: strategy, modelID: deployed.modelID, version: deployed.version)
    }

    public func resolve(session: Session) async throws -> Resolved {
        guard let deployed = try await session.models.deployed(family: .ml),
              let predictor = try await predictor(for: deployed, session: session) else {
            return Resolved(predictor: baseline, modelID: baseline.modelVersion)
        }
        return Resolved(predictor: predictor, modelID: deployed.modelID)
    }

    /// The ML versions running in shadow, ready to predict (one whose artifact fails its check is left out).
    public func shadows(session: Session) async throws -> [Resolved] {
        var resolved: [Resolved] = []
        for model in try await session.models.shadows(family: .ml) {
            if let predictor = try await predictor(for: model, session: session) { resolved.append(Resolved(predictor: predictor, modelID: model.modelID)) }
        }
        return resolved
    }

    /// Nil when the artifact does not match its recorded digest.
    func predictor(for model: MLModelRecord, session: Session) async throws -> TrainedModelPredictor? {
        if let known = decoded.withLockedValue({ $0[model.modelID] }) { return known }
        guard let artifact = try await verifiedArtifact(model, session: session) else { return nil }
        let predictor = TrainedModelPredictor(model: try TrainedPredictor.load(artifact), modelVersion: model.version, horizonDays: model.horizonDays)
        decoded.withLockedValue { $0[model.modelID] = predictor }
        return predictor
    }

    /// The stored artifact when its SHA-256 is the one recorded at training; nil (logged, alerted) otherwise.
    func verifiedArtifact(_ model: MLModelRecord, session: Session) async throws -> Data? {
        guard let artifact = try await session.models.artifact(model.modelID) else {
            throw ServiceError(.unavailable, code: "model_artifact_missing", message: "model \(model.version) has no artifact")
        }
        let digest = Digest.sha256(artifact)
        guard let recorded = model.artifactSHA256, digest == recorded else {
            refuse(model, found: digest)
            return nil
        }
        return artifact
    }

    private func refuse(_ model: MLModelRecord, found digest: String) {
        let message = "the artifact of \(model.version) (\(model.modelID)) has SHA-256 \(digest), not the \(model.artifactSHA256 ?? "none") recorded at training: it is not served"
        context?.logger.critical("\(message)")
        refusals.withLockedValue { $0.append(message) }
    }

    /// Raises the critical alert of every refusal noted so far. Called after the transaction that resolved the
    /// predictor; a failure to store the alert is logged, never thrown over the answer already computed.
    public func raiseRefusalAlerts() async {
        let pending = refusals.withLockedValue { pending in defer { pending.removeAll() }; return pending }
        guard let context, !pending.isEmpty else { return }
        let now = context.clock.now()
        do {
            try await context.database.write { session in
                for message in pending {
                    try await AlertOutbox.raise(NewAlert(kind: Self.tamperedAlert, severity: "critical", message: message), session: session,
                                                settings: context.settings, at: now)
                }
            }
        } catch {
            context.logger.error("the alert of a refused model artifact could not be stored: \(error)")
        }
    }
}
