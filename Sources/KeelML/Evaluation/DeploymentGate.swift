import Foundation
import KeelCore

/// The verdict on a version from its out-of-sample evidence, corrected for the number of tries on the same data.
///
/// A version passes when all of these hold (each stated with its numbers in the README):
/// 1. Rank IC: mean > `minimumMeanRankIC` and Newey-West t >= max(`minimumRankICTStat`, T^-1(1 - `familyWiseAlpha` / trials;
///    test days / horizon - 1 degrees of freedom)) — Bonferroni over the trials.
/// 2. Consistency: more than `minimumPositiveWindowShare` of the walk-forward test windows have a positive mean rank IC.
/// 3. Sharpe: the annualised Sharpe is at least the best baseline's + `sharpeMargin`, and the deflated Sharpe ratio of
///    the daily returns over that baseline (Bailey and Lopez de Prado; the trials set the bar) is >= `minimumDeflatedSharpe`.
/// 4. Holdout (when there is one): the mean rank IC on the held-out most recent days, scored once, is positive.
public struct DeploymentGate: Sendable {
    public var rules: GateRules

    public init(rules: GateRules) {
        self.rules = rules
    }

    /// A replayed portfolio: its figures and its equity after every bar.
    public struct Replay: Sendable {
        public var figures: PortfolioFigures
        public var equity: [Double]

        public init(figures: PortfolioFigures, equity: [Double]) {
            self.figures = figures
            self.equity = equity
        }
    }

    public struct Evidence: Sendable {
        /// Out-of-sample rank-IC metrics over all test days (nil: the version makes no cross-sectional scores).
        public var rankIC: PredictionMetrics?
        /// Each test window's mean rank IC, in order (empty: one test stretch, no consistency rule).
        public var windowRankICs: [Double]
        public var model: Replay
        public var baselines: [String: Replay]
        public var holdoutRankIC: Double?
        /// The label horizon in days (sets the independent observations behind the rank-IC test).
        public var horizon: Int

        public init(rankIC: PredictionMetrics?, windowRankICs: [Double], model: Replay, baselines: [String: Replay], holdoutRankIC: Double?, horizon: Int) {
            self.horizon = max(1, horizon)
            self.rankIC = rankIC
            self.windowRankICs = windowRankICs
            self.model = model
            self.baselines = baselines
            self.holdoutRankIC = holdoutRankIC
        }
    }

    public func judge(_ evidence: Evidence, trials: TrialHistory) -> (verdict: GateVerdict, thresholds: GateThresholds) {
        var reasons: [String] = []
        let tThreshold = rules.rankICThreshold(trials: trials.number, days: evidence.rankIC?.days ?? 0, horizon: evidence.horizon)
        if let metrics = evidence.rankIC {
            if !(metrics.meanRankIC > rules.minimumMeanRankIC) {
                reasons.append(String(format: "mean out-of-sample rank IC %.4f is not above %.4f", metrics.meanRankIC, rules.minimumMeanRankIC))
            }
            if !(metrics.rankICTStat >= tThreshold) {
                reasons.append(String(format: "rank IC t-statistic %.2f (Newey-West, %d lags) is below %.2f, the bar for trial %d on this data",
                                      metrics.rankICTStat, metrics.rankICLags ?? 0, tThreshold, trials.number))
            }
        }
        let positive = evidence.windowRankICs.filter { $0 > 0 }.count
        if !evidence.windowRankICs.isEmpty, !(Double(positive) > rules.minimumPositiveWindowShare * Double(evidence.windowRankICs.count)) {
            reasons.append(String(format: "only %d of %d test windows have a positive rank IC (more than %.0f%% needed)", positive,
                                  evidence.windowRankICs.count, rules.minimumPositiveWindowShare * 100))
        }
        let best = evidence.baselines.max { ($0.value.figures.sharpe, $1.key) < ($1.value.figures.sharpe, $0.key) }
        let excess = best.map { Self.excessReturns(evidence.model.equity, over: $0.value.equity) } ?? Self.returns(evidence.model.equity)
        let deflated = DeflatedSharpeRatio(returns: excess, trials: trials.number, trialSharpeVariance: trials.sharpeVariance)
        if let best, !(evidence.model.figures.sharpe >= best.value.figures.sharpe + rules.sharpeMargin) {
            reasons.append(String(format: "out-of-sample Sharpe %.2f is below the best baseline's (%@ %.2f) + %.2f",
                                  evidence.model.figures.sharpe, best.key, best.value.figures.sharpe, rules.sharpeMargin))
        }
        if !(deflated.probability >= rules.minimumDeflatedSharpe) {
            reasons.append(String(format: "deflated Sharpe ratio %.3f of the daily returns over %@ is below %.2f (per-day Sharpe %.4f against %.4f expected from %d noise trials)",
                                  deflated.probability, best?.key ?? "cash", rules.minimumDeflatedSharpe, deflated.sharpe,
                                  deflated.expectedMaximumSharpe, trials.number))
        }
        if let holdout = evidence.holdoutRankIC, !(holdout > 0) {
            reasons.append(String(format: "mean rank IC on the holdout %.4f is not positive", holdout))
        }
        let thresholds = GateThresholds(trials: trials.number, rankICTStat: tThreshold, rankICLags: evidence.rankIC?.rankICLags ?? 0,
                                        expectedMaximumSharpe: deflated.expectedMaximumSharpe, activeSharpe: deflated.sharpe,
                                        deflatedSharpe: deflated.probability, minimumDeflatedSharpe: rules.minimumDeflatedSharpe,
                                        positiveWindows: positive, windows: evidence.windowRankICs.count)
        if reasons.isEmpty {
            var summary = String(format: "Sharpe %.2f beats every baseline; deflated Sharpe %.3f over %d trial(s)", evidence.model.figures.sharpe,
                                 deflated.probability, trials.number)
            if let metrics = evidence.rankIC {
                summary += String(format: "; rank IC %.4f (t %.2f >= %.2f)", metrics.meanRankIC, metrics.rankICTStat, tThreshold)
            }
            return (GateVerdict(passed: true, reasons: [summary]), thresholds)
        }
        return (GateVerdict(passed: false, reasons: reasons), thresholds)
    }

    static func returns(_ equity: [Double]) -> [Double] {
        guard equity.count > 1 else { return [] }
        return (1..<equity.count).map { equity[$0 - 1] > 0 ? equity[$0] / equity[$0 - 1] - 1 : 0 }
    }

    /// Day-by-day return of `equity` minus that of `benchmark` (the same bars).
    static func excessReturns(_ equity: [Double], over benchmark: [Double]) -> [Double] {
        zip(returns(equity), returns(benchmark)).map { $0 - $1 }
    }
}
