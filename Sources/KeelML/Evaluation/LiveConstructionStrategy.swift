import Foundation
import KeelCore

/// The preferences a model is replayed under when the gate judges it as the live cycle would trade it.
public struct ReplayPreferences: Sendable, Codable, Hashable {
    public var maxPositions = 10
    public var maxWeight = 0.2
    public var cashBuffer = 0.02
    /// A holding within this of its target weight is left alone (the live planner's drift threshold).
    public var driftThreshold = 0.02
    /// Bars between rebalances: the live cycle runs every trading day.
    public var cadenceBars = 1

    public init() {}

    public var constraints: PortfolioConstraints { PortfolioConstraints(maxPositions: maxPositions, maxWeight: maxWeight, cashBuffer: cashBuffer) }
}

/// The model's predictions turned into target weights exactly as the live rebalancer does it
/// (`TargetWeightBuilder`, strategy `predicted_return`: positive expected return only, tilted by score, scaled by
/// inverse volatility, capped, with a cash buffer), from predictions precomputed per day.
struct LiveConstructionStrategy: PortfolioStrategy {
    let name = "model (live construction)"
    let signals: [Date: [SymbolSignal]]

    /// Signals from predictions the way `TrainedModelPredictor` serves them: the score is the prediction's z-score
    /// across the day, the volatility the name's 63-day volatility.
    init(dataset: Dataset, rows: [Int], predictions: [Double]) {
        let volatility = dataset.featureNames.firstIndex(of: "vol_63d")
        var byDay: [Int: [(row: Int, prediction: Double)]] = [:]
        for (row, prediction) in zip(rows, predictions) { byDay[Int(dataset.dayIndex[row]), default: []].append((row, prediction)) }
        var signals: [Date: [SymbolSignal]] = [:]
        for (day, entries) in byDay {
            let values = entries.map(\.prediction)
            let mean = values.reduce(0, +) / Double(values.count)
            let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))).squareRoot()
            signals[dataset.days[day]] = entries.map { entry in
                let vol = volatility.map { dataset.columns[$0][entry.row] }.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 0.25
                return SymbolSignal(symbol: dataset.symbols[Int(dataset.symbolIndex[entry.row])], expectedReturn: entry.prediction.isFinite ? entry.prediction : 0,
                                    score: spread > 0 ? (entry.prediction - mean) / spread : 0, volatility: vol)
            }
        }
        self.signals = signals
    }

    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        guard let today = signals[market.date] else { return [:] }
        return TargetWeightBuilder().targetWeights(strategy: .predictedReturn, signals: today, constraints: constraints)
    }
}
