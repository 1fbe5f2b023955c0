import Foundation
import KeelCore

/// A deployed ML version as a `ReturnPredictor`: the point-in-time features of each symbol's latest bar at
/// `asOf`, through the trained model; the score is the cross-sectional z-score of the predictions.
public struct TrainedModelPredictor: ReturnPredictor {
    public let model: TrainedPredictor
    public let modelVersion: String
    public let horizonDays: Int
    let features: FeatureBuilder

    public init(model: TrainedPredictor, modelVersion: String, horizonDays: Int) {
        self.model = model
        self.modelVersion = modelVersion
        self.horizonDays = horizonDays
        self.features = FeatureBuilder()
    }

    public func predict(histories: [BarSeries], asOf: Date) -> [ReturnPrediction] {
        let known = histories.map { $0.truncated(through: asOf) }.filter { $0.count >= 2 }
        guard !known.isEmpty else { return [] }
        let lastDate = Dictionary(uniqueKeysWithValues: known.map { ($0.symbol, $0.timestamps[$0.count - 1]) })
        let latest = features.build(known, fundamentals: []).filter { lastDate[$0.symbol] == $0.date }
        guard !latest.isEmpty else { return [] }
        let predictions = model.predict(batch: latest.map(\.values))
        let mean = predictions.reduce(0, +) / Double(predictions.count)
        let spread = (predictions.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(predictions.count - 1, 1))).squareRoot()
        let volatilityIndex = FeatureBuilder.names.firstIndex(of: "vol_63d")
        return zip(latest, predictions).map { row, predicted in
            let volatility = volatilityIndex.map { row.values[$0] }.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 0.25
            return ReturnPrediction(symbol: row.symbol, expectedReturn: predicted.isFinite ? predicted : 0,
                                    score: spread > 0 ? (predicted - mean) / spread : 0, volatility: volatility, horizonDays: horizonDays,
                                    modelVersion: modelVersion, asOf: row.date)
        }
    }
}
