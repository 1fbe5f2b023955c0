import Foundation

public enum ModelFamily: String, Sendable, Codable, CaseIterable {
    case ml, rl
}

public enum ModelStatus: String, Sendable, Codable, CaseIterable {
    case training, trained, deployed, retired, failed
}

/// One trained (or training) model version; its artifact bytes are read separately (`artifact(_:)`).
public struct MLModelRecord: Sendable, Hashable {
    public var modelID: String
    public var family: ModelFamily
    public var modelType: String
    public var version: String
    /// JSON of the training parameters as given (validated).
    public var params: String
    /// JSON array of feature names.
    public var features: String
    /// JSON array of symbols.
    public var symbols: String
    public var dataFrom: Date
    public var dataTo: Date
    public var horizonDays: Int
    public var seed: Int64
    public var trainingJobID: String?
    /// JSON of the evaluation: per window and overall, with the baselines.
    public var metrics: String?
    public var gatePassed: Bool?
    /// JSON `{"passed", "reasons"}`.
    public var gate: String?
    public var artifactSHA256: String?
    /// SHA-256 over the bars the version was trained on (symbol, time, open, high, low, close, volume, in order).
    public var dataFingerprint: String?
    /// The build of Keel that trained it.
    public var buildVersion: String?
    public var status: ModelStatus
    /// Runs in shadow: its predictions are stored beside the deployed version's, for comparison.
    public var shadow: Bool
    public var error: String?
    public var createdBy: String
    public var createdAt: Date
    public var trainedAt: Date?
}

public struct NewMLModel: Sendable {
    public var modelID: String
    public var family: ModelFamily
    public var modelType: String
    public var params: String
    public var features: String
    public var symbols: String
    public var dataFrom: Date
    public var dataTo: Date
    public var horizonDays: Int
    public var seed: Int64

    public init(modelID: String, family: ModelFamily, modelType: String, params: String, features: String, symbols: String,
                dataFrom: Date, dataTo: Date, horizonDays: Int, seed: Int64) {
        self.modelID = modelID
        self.family = family
        self.modelType = modelType
        self.params = params
        self.features = features
        self.symbols = symbols
        self.dataFrom = dataFrom
        self.dataTo = dataTo
        self.horizonDays = horizonDays
        self.seed = seed
    }
}

public struct ModelDeploymentRecord: Sendable, Hashable {
    public var deploymentID: Int
    public var family: ModelFamily
    public var modelID: String
    public var previousModelID: String?
    /// deploy, override (deployed past a failed gate) or rollback.
    public var action: String
    public var reason: String?
    public var deployedBy: String
    public var deployedAt: Date
}

public struct StoredPrediction: Sendable, Hashable {
    public var modelID: String
    public var modelVersion: String
    /// served (what the caller got) or shadow (a candidate's, stored beside it).
    public var role: String
    public var clientID: Int?
    public var symbol: String
    public var asOf: Date
    public var expectedReturn: Double
    public var score: Double

    public init(modelID: String, modelVersion: String, role: String, clientID: Int?, symbol: String, asOf: Date, expectedReturn: Double, score: Double) {
        self.modelID = modelID
        self.modelVersion = modelVersion
        self.role = role
        self.clientID = clientID
        self.symbol = symbol
        self.asOf = asOf
        self.expectedReturn = expectedReturn
        self.score = score
    }
}
