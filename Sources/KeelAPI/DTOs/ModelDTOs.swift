import Foundation
import KeelML
import KeelServices
import KeelStore
import Vapor

struct MLTrainBody: Content {
    var modelType: String?
    var symbols: [String]?
    var portfolioId: Int?
    var from: String?
    var to: String?
    var horizonDays: Int?
    var params: [String: Double]?
    var seed: Int64?

    var request: MLTrainingRequest {
        MLTrainingRequest(modelType: modelType, symbols: symbols, portfolioId: portfolioId, from: from, to: to, horizonDays: horizonDays,
                          params: params, seed: seed)
    }
}

struct RLTrainBody: Content {
    var symbols: [String]?
    var portfolioId: Int?
    var from: String?
    var to: String?
    var episodes: Int?
    var params: [String: Double]?
    var seed: Int64?

    var request: RLTrainingRequest {
        RLTrainingRequest(symbols: symbols, portfolioId: portfolioId, from: from, to: to, episodes: episodes, params: params, seed: seed)
    }
}

struct TrainingSubmittedResponse: Content {
    var jobId: String
    var modelId: String
    var version: String
}

struct DeployBody: Content {
    var overrideReason: String?
}

struct ShadowBody: Content {
    var enabled: Bool?
}

struct StoredPredictionResponse: Content {
    var modelId: String
    var modelVersion: String
    var role: String
    var clientId: Int?
    var symbol: String
    var asOf: Date
    var expectedReturn: Double
    var score: Double

    init(_ p: StoredPrediction) {
        modelId = p.modelID
        modelVersion = p.modelVersion
        role = p.role
        clientId = p.clientID
        symbol = p.symbol
        asOf = p.asOf
        expectedReturn = p.expectedReturn
        score = p.score
    }
}

struct ShadowComparisonResponse: Content {
    var modelId: String
    var version: String
    var horizonDays: Int
    var shadowPredictions: Int
    var evaluatedCrossSections: Int
    var pendingCrossSections: Int
    var shadowMeanRankIc: Double?
    var servedMeanRankIc: Double?
    var servedVersions: [String]

    init(_ comparison: ShadowComparison) {
        modelId = comparison.modelId
        version = comparison.version
        horizonDays = comparison.horizonDays
        shadowPredictions = comparison.shadowPredictions
        evaluatedCrossSections = comparison.evaluatedCrossSections
        pendingCrossSections = comparison.pendingCrossSections
        shadowMeanRankIc = comparison.shadowMeanRankIC
        servedMeanRankIc = comparison.servedMeanRankIC
        servedVersions = comparison.servedVersions
    }
}

struct RollbackBody: Content {
    var family: String?
}

/// Where a version came from: its training job, data, seed and artifact hash.
struct ModelLineage: Content {
    var trainingJobId: String?
    var dataFrom: Date
    var dataTo: Date
    var symbols: [String]
    var horizonDays: Int
    var seed: Int64
    var artifactSha256: String?
    /// SHA-256 over the bars trained on, and the build that trained it.
    var dataFingerprint: String?
    var buildVersion: String?
}

/// A version's place among the trainings on its data (family, universe, date range): the gate's thresholds are
/// corrected for `number` tries; `on_same_data` counts the tries made since as well.
struct TrialsResponse: Content {
    var number: Int
    var onSameData: Int
}

struct ModelResponse: Content {
    var modelId: String
    var family: String
    var modelType: String
    var version: String
    var status: String
    var shadow: Bool
    var params: MLTrainingPlan?
    var features: [String]
    /// ML versions: walk-forward prediction metrics, portfolio replay, baselines.
    var evaluation: EvaluationReport?
    /// RL versions: the out-of-sample replay of the policy beside the baselines.
    var policyEvaluation: PolicyReport?
    var rlParams: RLTrainingPlan?
    var gate: GateVerdict?
    /// Present on a single version's read (`GET /api/ml-models/{id}`).
    var trials: TrialsResponse?
    var lineage: ModelLineage
    var error: String?
    var createdBy: String
    var createdAt: Date
    var trainedAt: Date?

    init(_ model: MLModelRecord, trials: TrialSummary? = nil) {
        self.trials = trials.map { TrialsResponse(number: $0.number, onSameData: $0.onSameData) }
        modelId = model.modelID
        family = model.family.rawValue
        modelType = model.modelType
        version = model.version
        status = model.status.rawValue
        shadow = model.shadow
        params = model.family == .ml ? try? StoredJSON.decode(MLTrainingPlan.self, model.params) : nil
        rlParams = model.family == .rl ? try? StoredJSON.decode(RLTrainingPlan.self, model.params) : nil
        features = (try? StoredJSON.decode([String].self, model.features)) ?? []
        evaluation = model.family == .ml ? model.metrics.flatMap { try? StoredJSON.decode(EvaluationReport.self, $0) } : nil
        policyEvaluation = model.family == .rl ? model.metrics.flatMap { try? StoredJSON.decode(PolicyReport.self, $0) } : nil
        gate = model.gate.flatMap { try? StoredJSON.decode(GateVerdict.self, $0) }
        lineage = ModelLineage(trainingJobId: model.trainingJobID, dataFrom: model.dataFrom, dataTo: model.dataTo,
                               symbols: (try? StoredJSON.decode([String].self, model.symbols)) ?? [], horizonDays: model.horizonDays,
                               seed: model.seed, artifactSha256: model.artifactSHA256, dataFingerprint: model.dataFingerprint,
                               buildVersion: model.buildVersion)
        error = model.error
        createdBy = model.createdBy
        createdAt = model.createdAt
        trainedAt = model.trainedAt
    }
}

struct DeploymentResponse: Content {
    var deploymentId: Int
    var family: String
    var modelId: String
    var previousModelId: String?
    var action: String
    var reason: String?
    var deployedBy: String
    var deployedAt: Date

    init(_ record: ModelDeploymentRecord) {
        deploymentId = record.deploymentID
        family = record.family.rawValue
        modelId = record.modelID
        previousModelId = record.previousModelID
        action = record.action
        reason = record.reason
        deployedBy = record.deployedBy
        deployedAt = record.deployedAt
    }
}
