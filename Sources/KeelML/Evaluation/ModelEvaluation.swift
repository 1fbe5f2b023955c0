import Foundation
import KeelCore

/// A portfolio's out-of-sample figures from the backtest engine (fills, costs and lot rules as live).
public struct PortfolioFigures: Sendable, Codable, Hashable {
    public var sharpe: Double
    public var cagr: Double
    public var totalReturn: Double
    public var maxDrawdown: Double
    public var turnover: Double
    public var costs: Double
}

/// One walk-forward step's out-of-sample result.
public struct WindowReport: Sendable, Codable, Hashable {
    public var trainFrom: Date
    public var trainTo: Date
    public var testFrom: Date
    public var testTo: Date
    public var model: PredictionMetrics
    public var momentumBaseline: PredictionMetrics
}

/// The most recent days, used by no training choice and scored once by the version that is deployed.
public struct HoldoutReport: Sendable, Codable, Hashable {
    public var from: Date
    public var to: Date
    public var metrics: PredictionMetrics
    public var portfolio: PortfolioFigures
    public var baselines: [String: PortfolioFigures]
}

/// Everything behind a verdict: per window and overall prediction metrics, the portfolio replay of the model and
/// of the baselines (equal weight, buy-and-hold, momentum 12-1), the holdout, and the gate with the thresholds
/// it applied after the correction for trials.
public struct EvaluationReport: Sendable, Codable, Hashable {
    public var windows: [WindowReport]
    public var overall: PredictionMetrics
    public var momentumBaseline: PredictionMetrics
    public var portfolio: PortfolioFigures
    public var baselines: [String: PortfolioFigures]
    public var gate: GateVerdict
    public var rules: GateRules
    /// Nil in reports stored before trials were counted and the holdout kept.
    public var thresholds: GateThresholds?
    public var holdout: HoldoutReport?
    /// How the replays filled: "next open, 5 bp slippage, Schwab fees", or "same close (optimistic)".
    public var fills: String?
    /// `portfolio` is the model traded as the live cycle trades it, under these preferences, every day; `topK` the
    /// equal-weight top names every horizon, kept as a diagnostic.
    public var replayPreferences: ReplayPreferences?
    public var topK: PortfolioFigures?
}

/// Walk-forward evaluation of a predictor on a dataset, and the final fit on all labelled rows.
public struct PredictorEvaluation: Sendable {
    public var split: WalkForwardSplit
    public var rules: GateRules
    /// How many names the replayed portfolio holds (the top predicted).
    public var holdings: Int
    /// The preferences the live-construction replay trades under.
    public var replayPreferences = ReplayPreferences()
    /// How the replays fill: as live trading does by default (the cycle runs after the close, its orders fill
    /// at the next session's open, with the paper broker's 5 bp slippage and Schwab's regulatory fees on sells).
    /// `ExecutionModel.sameClose` is the optimistic alternative, labelled so in reports.
    public var execution: ExecutionModel

    public init(split: WalkForwardSplit = WalkForwardSplit(), rules: GateRules = GateRules(), holdings: Int = 10,
                execution: ExecutionModel = .liveLike) {
        self.split = split
        self.rules = rules
        self.holdings = max(1, holdings)
        self.execution = execution
    }

    public enum EvaluationError: Error, CustomStringConvertible {
        case tooShort(days: Int, needed: Int)
        public var description: String {
            switch self {
            case .tooShort(let days, let needed): "the data has \(days) trading days; walk-forward evaluation needs at least \(needed)"
            }
        }
    }

    /// Days needed for one walk-forward window before the holdout, and the holdout after it.
    public func minimumDays(horizon: Int) -> Int {
        let h = max(1, horizon) + 1
        let walkForward = split.minimumTrainDays + split.validationDays + split.testDays / 4 + 3 * h
        return Int((Double(walkForward) / (1 - min(max(rules.holdoutFraction, 0), 0.5))).rounded(.up)) + h
    }

    /// The index of the first held-out day: the last `holdoutFraction` of the labelled days.
    func holdoutStart(dayCount: Int, horizon: Int) -> Int {
        let labelled = max(0, dayCount - max(1, horizon))
        return labelled - Int(Double(labelled) * min(max(rules.holdoutFraction, 0), 0.5))
    }

    /// Evaluates walk-forward before the holdout, fits the deployable model on the data just before it, scores that
    /// model once on the holdout, and judges the version. `trials` is the trial registry's count for this data.
    public func evaluate(_ training: PredictorTraining, dataset: Dataset, histories: [BarSeries], trials: TrialHistory = TrialHistory(),
                         cancellation: CancellationCheck = .never,
                         progress: (Double) -> Void = { _ in }) throws -> (model: TrainedPredictor, report: EvaluationReport) {
        let horizon = max(1, dataset.horizonDays)
        // The embargo is the label's whole span (entry at the next open, exit h bars later).
        let span = dataset.labelSpan
        let holdoutStart = holdoutStart(dayCount: dataset.days.count, horizon: span)
        let windows = split.windows(dayCount: holdoutStart, horizonDays: span)
        guard !windows.isEmpty else { throw EvaluationError.tooShort(days: dataset.days.count, needed: minimumDays(horizon: horizon)) }
        let momentumFeature = dataset.featureNames.firstIndex(of: "mom_12_1")
        var reports: [WindowReport] = []
        var testRows: [Int] = [], testPredictions: [Double] = []
        for (index, window) in windows.enumerated() {
            try cancellation.checkpoint()
            let model = try training.fit(dataset, train: dataset.labelledRows(inDays: window.train), validation: dataset.labelledRows(inDays: window.validation),
                                         cancellation: cancellation)
            let rows = dataset.labelledRows(inDays: window.test)
            let predictions = model.predict(dataset, rows: rows)
            testRows += rows
            testPredictions += predictions
            reports.append(WindowReport(trainFrom: dataset.days[window.train.lowerBound], trainTo: dataset.days[window.train.upperBound - 1],
                                        testFrom: dataset.days[window.test.lowerBound], testTo: dataset.days[window.test.upperBound - 1],
                                        model: PredictionMetrics.evaluate(dataset, rows: rows, predictions: predictions),
                                        momentumBaseline: Self.featureMetrics(dataset, rows: rows, feature: momentumFeature)))
            progress(Double(index + 1) / Double(windows.count + 2))
        }
        let overall = PredictionMetrics.evaluate(dataset, rows: testRows, predictions: testPredictions)
        let momentum = Self.featureMetrics(dataset, rows: testRows, feature: momentumFeature)
        let holdings = min(self.holdings, max(1, dataset.symbols.count / 2))
        let firstTest = dataset.days[windows[0].test.lowerBound], lastTest = dataset.days[windows[windows.count - 1].test.upperBound - 1]
        let (portfolio, topK, baselines) = try replays(dataset: dataset, histories: histories, rows: testRows, predictions: testPredictions,
                                                       from: firstTest, through: lastTest, holdings: holdings, cancellation: cancellation)

        // The deployable fit: the latest window's train and validation ranges moved up to the holdout, whose days
        // no choice has seen; that very model is scored on the holdout and is what gets deployed.
        let last = windows[windows.count - 1]
        let shift = holdoutStart - span - last.validation.upperBound
        let train = dataset.labelledRows(inDays: (last.train.lowerBound)..<(last.train.upperBound + shift))
        let validation = dataset.labelledRows(inDays: (last.validation.lowerBound + shift)..<(last.validation.upperBound + shift))
        let final = try training.fit(dataset, train: train, validation: validation, cancellation: cancellation)
        progress(Double(windows.count + 1) / Double(windows.count + 2))
        let holdoutRows = dataset.labelledRows(inDays: holdoutStart..<(dataset.days.count - span))
        var holdout: HoldoutReport?
        if !holdoutRows.isEmpty {
            let predictions = final.predict(dataset, rows: holdoutRows)
            let first = dataset.days[holdoutStart], lastDay = dataset.days[dataset.days.count - span - 1]
            let (figures, _, others) = try replays(dataset: dataset, histories: histories, rows: holdoutRows, predictions: predictions,
                                                   from: first, through: lastDay, holdings: holdings, cancellation: cancellation)
            holdout = HoldoutReport(from: first, to: lastDay, metrics: PredictionMetrics.evaluate(dataset, rows: holdoutRows, predictions: predictions),
                                    portfolio: figures.figures, baselines: others.mapValues(\.figures))
        }

        let evidence = DeploymentGate.Evidence(rankIC: overall, windowRankICs: reports.map(\.model.meanRankIC), model: portfolio, baselines: baselines,
                                               holdoutRankIC: holdout?.metrics.meanRankIC, horizon: horizon)
        let (gate, thresholds) = DeploymentGate(rules: rules).judge(evidence, trials: trials)
        progress(1)
        return (final, EvaluationReport(windows: reports, overall: overall, momentumBaseline: momentum, portfolio: portfolio.figures,
                                        baselines: baselines.mapValues(\.figures), gate: gate, rules: rules, thresholds: thresholds, holdout: holdout,
                                        fills: execution.label, replayPreferences: replayPreferences, topK: topK.figures))
    }

    /// Over `from`...`through`: the model traded as live (its predictions through the live weight builder, the
    /// replay preferences, the daily cadence and drift threshold), the equal-weight top names every horizon (a
    /// diagnostic), and the baselines.
    func replays(dataset: Dataset, histories: [BarSeries], rows: [Int], predictions: [Double], from: Date, through: Date, holdings: Int,
                 cancellation: CancellationCheck) throws -> (model: DeploymentGate.Replay, topK: DeploymentGate.Replay,
                                                            baselines: [String: DeploymentGate.Replay]) {
        let market = Self.market(histories, from: from, through: through)
        var modelScores: [Date: [String: Double]] = [:]
        for (row, prediction) in zip(rows, predictions) {
            modelScores[dataset.days[Int(dataset.dayIndex[row])], default: [:]][dataset.symbols[Int(dataset.symbolIndex[row])]] = prediction
        }
        let preferences = replayPreferences
        let live = try replay(LiveConstructionStrategy(dataset: dataset, rows: rows, predictions: predictions), market: market,
                              schedule: .everyBars(max(1, preferences.cadenceBars)), constraints: preferences.constraints,
                              driftThreshold: preferences.driftThreshold, cancellation: cancellation)
        let constraints = PortfolioConstraints(maxPositions: holdings, maxWeight: 1, cashBuffer: 0.01)
        let topK = try replay(TopScoredStrategy(name: "model", scores: modelScores), market: market,
                              schedule: .everyBars(max(1, dataset.horizonDays)), constraints: constraints, cancellation: cancellation)
        return (live, topK, try baselines(market: market, dataset: dataset, rows: rows, holdings: holdings, cancellation: cancellation))
    }

    /// The bars from `first` through `last`: the out-of-sample stretch the portfolios are replayed over.
    static func market(_ histories: [BarSeries], from first: Date, through last: Date) -> AlignedMarket {
        AlignedMarket(histories.map { series in
            let cut = series.truncated(through: last)
            var out = BarSeries(symbol: series.symbol)
            for i in 0..<cut.count where cut.timestamps[i] >= first {
                out.append(timestamp: cut.timestamps[i], open: cut.open[i], high: cut.high[i], low: cut.low[i], close: cut.close[i], volume: cut.volume[i])
            }
            return out
        })
    }

    /// The three baselines every model is compared with, replayed on the same market and schedule.
    func baselines(market: AlignedMarket, dataset: Dataset, rows: [Int], holdings: Int, cancellation: CancellationCheck) throws -> [String: DeploymentGate.Replay] {
        let momentumFeature = dataset.featureNames.firstIndex(of: "mom_12_1")
        var momentumScores: [Date: [String: Double]] = [:]
        for row in rows {
            guard let f = momentumFeature, dataset.columns[f][row].isFinite else { continue }
            momentumScores[dataset.days[Int(dataset.dayIndex[row])], default: [:]][dataset.symbols[Int(dataset.symbolIndex[row])]] = dataset.columns[f][row]
        }
        let every = RebalanceSchedule.everyBars(max(1, dataset.horizonDays))
        let all = PortfolioConstraints(maxPositions: dataset.symbols.count, maxWeight: 1, cashBuffer: 0.01)
        let top = PortfolioConstraints(maxPositions: holdings, maxWeight: 1, cashBuffer: 0.01)
        return [
            "equal_weight": try replay(BuyAndHoldStrategy(), market: market, schedule: every, constraints: all, cancellation: cancellation),
            "buy_and_hold": try replay(BuyAndHoldStrategy(), market: market, schedule: .once, constraints: all, cancellation: cancellation),
            "momentum_12_1": try replay(TopScoredStrategy(name: "momentum", scores: momentumScores), market: market, schedule: every, constraints: top,
                                        cancellation: cancellation),
        ]
    }

    func replay(_ strategy: any PortfolioStrategy, market: AlignedMarket, schedule: RebalanceSchedule, constraints: PortfolioConstraints,
                driftThreshold: Double = 0, cancellation: CancellationCheck) throws -> DeploymentGate.Replay {
        let backtester = PortfolioBacktester(execution: execution, initialCash: 1_000_000, schedule: schedule, constraints: constraints,
                                             planner: .init(minimumOrderNotional: 10, driftThreshold: driftThreshold, buyCostBuffer: 0.005), warmUp: 0)
        let output = try backtester.run(strategy, market: market, cancellation: cancellation)
        let metrics = PerformanceMetrics(result: output.result)
        func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
        let figures = PortfolioFigures(sharpe: finite(metrics.sharpe), cagr: finite(metrics.cagr), totalReturn: finite(metrics.totalReturn),
                                       maxDrawdown: finite(metrics.maxDrawdown), turnover: finite(metrics.turnover), costs: finite(output.result.commissions))
        return DeploymentGate.Replay(figures: figures, equity: output.result.equity)
    }

    static func featureMetrics(_ dataset: Dataset, rows: [Int], feature: Int?) -> PredictionMetrics {
        guard let feature else { return PredictionMetrics.evaluate(dataset, rows: [], predictions: []) }
        let usable = rows.filter { dataset.columns[feature][$0].isFinite }
        return PredictionMetrics.evaluate(dataset, rows: usable, predictions: usable.map { dataset.columns[feature][$0] })
    }
}

/// Holds, equal-weighted, the names with the highest precomputed score on the rebalance day.
struct TopScoredStrategy: PortfolioStrategy {
    let name: String
    let scores: [Date: [String: Double]]

    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        guard let today = scores[market.date], !today.isEmpty else { return [:] }
        let chosen = today.filter { !constraints.excludedSymbols.contains($0.key) }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .prefix(constraints.maxPositions)
        let weight = constraints.investableFraction / Double(chosen.count)
        return Dictionary(uniqueKeysWithValues: chosen.map { ($0.key, weight) })
    }
}
