import Foundation
import KeelCore

/// A model portfolio's construction rule: a predictor's view of every symbol (expected return, score,
/// volatility) turned into target weights by the strategy kind. The live rebalancer and the backtester
/// both call this, so a backtest replays exactly what would have been traded.
public struct PredictedReturnStrategy: PortfolioStrategy {
    public let kind: StrategyKind
    public let predictor: any ReturnPredictor

    public init(kind: StrategyKind, predictor: any ReturnPredictor = MomentumBaselineModel()) {
        self.kind = kind
        self.predictor = predictor
    }

    public var name: String { "\(kind.rawValue)[\(predictor.modelVersion)]" }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        targetWeights(predictions: predictor.predict(histories: market.histories(), asOf: market.date), constraints: constraints)
    }

    public func targetWeights(predictions: [ReturnPrediction], constraints: PortfolioConstraints) -> [String: Double] {
        let signals = predictions.map { SymbolSignal(symbol: $0.symbol, expectedReturn: $0.expectedReturn, score: $0.score, volatility: $0.volatility) }
        return TargetWeightBuilder().targetWeights(strategy: kind, signals: signals, constraints: constraints)
    }
}
