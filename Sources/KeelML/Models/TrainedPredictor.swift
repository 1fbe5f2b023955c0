import Foundation
import KeelCore

/// The model kinds the ML family trains, and a trained model of either kind (what an artifact holds).
public enum PredictorKind: String, Sendable, Codable, CaseIterable {
    case ridge, gbdt
}

public enum TrainedPredictor: Sendable, Codable, Hashable {
    case ridge(RidgeModel)
    case gbdt(GBDTModel)

    public var featureNames: [String] {
        switch self {
        case .ridge(let model): model.featureNames
        case .gbdt(let model): model.featureNames
        }
    }

    public func predict(_ dataset: Dataset, rows: [Int]) -> [Double] {
        switch self {
        case .ridge(let model): model.predict(dataset, rows: rows)
        case .gbdt(let model): model.predict(dataset, rows: rows)
        }
    }

    public func predict(batch rows: [[Double]]) -> [Double] {
        switch self {
        case .ridge(let model): rows.map(model.predict(features:))
        case .gbdt(let model): model.predict(batch: rows)
        }
    }

    /// Deterministic bytes (sorted keys): equal models give equal bytes, so the artifact hash identifies the model.
    public func artifact() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try encoder.encode(self)
    }

    public static func load(_ artifact: Data) throws -> TrainedPredictor {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try decoder.decode(TrainedPredictor.self, from: artifact)
    }
}

/// How a predictor is trained: the kind and its settings.
public struct PredictorTraining: Sendable, Codable, Hashable {
    public var kind: PredictorKind
    public var gbdt: GBDTParameters
    public var ridgeLambdas: [Double]

    public init(kind: PredictorKind, gbdt: GBDTParameters = GBDTParameters(), ridgeLambdas: [Double] = RidgeTrainer.defaultLambdas) {
        self.kind = kind
        self.gbdt = gbdt
        self.ridgeLambdas = ridgeLambdas
    }

    public func fit(_ dataset: Dataset, train: [Int], validation: [Int], cancellation: CancellationCheck = .never) throws -> TrainedPredictor {
        try cancellation.checkpoint()
        switch kind {
        case .ridge: return .ridge(try RidgeTrainer(lambdas: ridgeLambdas).fit(dataset, train: train, validation: validation))
        case .gbdt: return .gbdt(try GBDTTrainer(parameters: gbdt).fit(dataset, train: train, validation: validation, cancellation: cancellation))
        }
    }
}
