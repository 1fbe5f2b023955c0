import Foundation
import KeelCore

/// What an RL version's gate rests on: the out-of-sample replay of the policy against the baselines.
public struct PolicyReport: Sendable, Codable, Hashable {
    public var trainFrom: Date
    public var trainTo: Date
    public var testFrom: Date
    public var testTo: Date
    public var portfolio: PortfolioFigures
    public var baselines: [String: PortfolioFigures]
    public var trainingCurve: [Double]
    /// How well the policy's allocation scores rank the names' forward returns out of sample.
    public var scoreMetrics: PredictionMetrics
    public var gate: GateVerdict
    public var rules: GateRules
    /// The thresholds after the correction for trials (nil in reports stored before trials were counted).
    public var thresholds: GateThresholds?
    /// Early stopping on the validation stretch: its dates, the checks and the episode kept.
    public var validationFrom: Date?
    public var validationTo: Date?
    public var validation: RLTrainer.ValidationTrace?
}

/// Trains the policy on the first part of the range and replays it, out of sample after an embargo of the
/// horizon, through the backtest engine beside equal weight, buy-and-hold and momentum. The policy judged is the
/// policy deployed: it is not refitted on the test stretch afterwards (a refit would be a new, unjudged object).
public struct PolicyEvaluation: Sendable {
    public var trainFraction: Double
    public var rules: GateRules
    /// How the replays fill (next open with slippage and fees by default; see `PredictorEvaluation.execution`).
    public var execution: ExecutionModel

    public init(trainFraction: Double = 0.65, rules: GateRules = GateRules(), execution: ExecutionModel = .liveLike) {
        self.trainFraction = min(max(trainFraction, 0.3), 0.9)
        self.rules = rules
        self.execution = execution
    }

    public func minimumDays(horizon: Int, steps: Int) -> Int {
        // Training must hold one episode; the test stretch, after the embargo, at least three rebalances.
        let h = Double(max(1, horizon))
        return Int(max(h * Double(steps + 1) / trainFraction, 4 * h / (1 - trainFraction)).rounded(.up)) + max(1, horizon) + 2
    }

    public func evaluate(_ parameters: RLParameters, dataset: Dataset, histories: [BarSeries], trials: TrialHistory = TrialHistory(),
                         cancellation: CancellationCheck = .never,
                         progress: (Double) -> Void = { _ in }) throws -> (policy: RLPolicy, report: PolicyReport) {
        let horizon = max(1, dataset.horizonDays)
        let dayCount = dataset.days.count
        let trainEnd = Int(Double(dayCount) * trainFraction)
        // The embargo is the label's whole span (entry at the next open, exit h bars later).
        let span = dataset.labelSpan
        let testStart = trainEnd + span
        let testEnd = dayCount - span
        guard trainEnd - horizon * parameters.stepsPerEpisode > 1, testEnd - testStart >= 2 * horizon else {
            throw PredictorEvaluation.EvaluationError.tooShort(days: dayCount, needed: minimumDays(horizon: horizon, steps: parameters.stepsPerEpisode))
        }
        // Training labels end before the test starts: the policy only learns from returns it could have seen. The
        // last fifth of the training range (after its own embargo) is a validation stretch for early stopping, so
        // no training choice looks at the test stretch.
        let validationStart = Int(Double(trainEnd - span) * 0.8)
        let validationDays = validationStart..<(trainEnd - span)
        let learnDays = 0..<max(validationStart - span, 1)
        let useValidation = learnDays.count > horizon * parameters.stepsPerEpisode + 1 && validationDays.count >= 2 * horizon
        let (trained, validationTrace) = try RLTrainer(parameters: parameters).train(
            dataset, histories: histories, days: useValidation ? learnDays : 0..<(trainEnd - span),
            validation: useValidation ? RLTrainer.Validation(days: validationDays) : nil, cancellation: cancellation,
            progress: { progress($0 * 0.95) })
        let testRows = dataset.labelledRows(inDays: testStart..<testEnd)
        var weightsByDay: [Date: [String: Double]] = [:]
        var scoredRows: [Int] = [], scores: [Double] = []
        var held: [String: Double] = [:]
        for (day, rows) in dataset.rowsByDay(dataset.rows(inDays: testStart..<testEnd)) {
            let symbols = rows.map { dataset.symbols[Int(dataset.symbolIndex[$0])] }
            let features = rows.map { row in (0..<dataset.featureCount).map { dataset.columns[$0][row] } }
            // Rebalance days (every horizon from the first test day) carry the portfolio forward.
            if (day - testStart) % horizon == 0 {
                let allocation = trained.allocation(symbols: symbols, features: features, investable: 0.99, maxPositions: trained.holdings, current: held)
                weightsByDay[dataset.days[day]] = allocation
                held = allocation
            }
            let probabilities = trained.probabilities(RLPolicy.crossSectional(features), current: symbols.map { held[$0] ?? 0 })
            for (row, probability) in zip(rows, probabilities) where dataset.labels[row].isFinite {
                scoredRows.append(row)
                scores.append(probability)
            }
        }
        let scoreMetrics = PredictionMetrics.evaluate(dataset, rows: scoredRows, predictions: scores)
        let evaluation = PredictorEvaluation(execution: execution)
        let market = PredictorEvaluation.market(histories, from: dataset.days[testStart], through: dataset.days[testEnd - 1])
        let holdings = min(trained.holdings, max(1, dataset.symbols.count / 2))
        let portfolio = try evaluation.replay(PrecomputedWeightsStrategy(name: "rl-policy", weights: weightsByDay), market: market,
                                              schedule: .everyBars(horizon), constraints: PortfolioConstraints(maxPositions: holdings, maxWeight: 1, cashBuffer: 0.01),
                                              cancellation: cancellation)
        let baselines = try evaluation.baselines(market: market, dataset: dataset, rows: testRows, holdings: holdings, cancellation: cancellation)
        // A Sharpe margin alone passes luck (on a random walk every baseline can lose more than a random policy):
        // the policy's own ranking of the names must be significant out of sample, as a predictor's is.
        let evidence = DeploymentGate.Evidence(rankIC: scoreMetrics, windowRankICs: [], model: portfolio, baselines: baselines, holdoutRankIC: nil, horizon: horizon)
        let (gate, thresholds) = DeploymentGate(rules: rules).judge(evidence, trials: trials)
        progress(1)
        return (trained, PolicyReport(trainFrom: dataset.days[0], trainTo: dataset.days[trainEnd - span - 1], testFrom: dataset.days[testStart],
                                      testTo: dataset.days[testEnd - 1], portfolio: portfolio.figures, baselines: baselines.mapValues(\.figures),
                                      trainingCurve: trained.trainingCurve, scoreMetrics: scoreMetrics, gate: gate, rules: rules, thresholds: thresholds,
                                      validationFrom: useValidation ? dataset.days[validationDays.lowerBound] : nil,
                                      validationTo: useValidation ? dataset.days[validationDays.upperBound - 1] : nil, validation: validationTrace))
    }
}

/// Holds the weights decided beforehand for each rebalance day (the policy's, computed from the dataset).
struct PrecomputedWeightsStrategy: PortfolioStrategy {
    let name: String
    let weights: [Date: [String: Double]]

    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        weights[market.date] ?? [:]
    }
}

/// The deployed RL policy as a portfolio strategy, for the live rebalancer and backtests alike: the point-in-time
/// features of each symbol's latest bar, allocated by the policy.
public struct RLPolicyStrategy: PortfolioStrategy {
    public let policy: RLPolicy
    public let version: String
    /// The account's current weights (the observation's account part).
    public var currentWeights: [String: Double] = [:]
    public var name: String { "rl-policy[\(version)]" }

    public init(policy: RLPolicy, version: String, currentWeights: [String: Double] = [:]) {
        self.policy = policy
        self.version = version
        self.currentWeights = currentWeights
    }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        let histories = market.histories()
        let lastDate = Dictionary(histories.compactMap { series in series.count > 0 ? (series.symbol, series.timestamps[series.count - 1]) : nil },
                                  uniquingKeysWith: { first, _ in first })
        let latest = FeatureBuilder().build(histories, fundamentals: []).filter { lastDate[$0.symbol] == $0.date && !constraints.excludedSymbols.contains($0.symbol) }
        let allocation = policy.allocation(symbols: latest.map(\.symbol), features: latest.map(\.values),
                                           investable: constraints.investableFraction, maxPositions: constraints.maxPositions,
                                           current: currentWeights)
        return allocation.mapValues { min($0, constraints.maxWeight) }
    }
}
