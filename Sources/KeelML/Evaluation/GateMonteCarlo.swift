import Foundation
import KeelCore

/// Measures the deployment gate as a rate, not a draw: it evaluates a family on many independent simulated
/// markets (`FactorMarket`: a common factor, clustered volatility, jumps) and counts how often the gate passes.
/// On null markets that is the false-positive rate per trial; on markets with a planted signal, the power.
public struct GateMonteCarlo: Sendable {
    public enum Family: String, Sendable, CaseIterable, Codable {
        case ridge, gbdt, rl
    }

    public var family: Family
    public var market: FactorMarket
    public var horizon: Int
    public var evaluation: PredictorEvaluation
    public var training: PredictorTraining
    public var policy: PolicyEvaluation
    public var policyParameters: RLParameters

    /// A reduced walk-forward layout (test and validation windows of 42 days, 126 training days at least) so one
    /// market costs milliseconds; the gate's rules are the production ones.
    public init(family: Family, market: FactorMarket, horizon: Int) {
        self.family = family
        self.market = market
        self.horizon = max(1, horizon)
        evaluation = PredictorEvaluation(split: WalkForwardSplit(testDays: 126, validationDays: 63, minimumTrainDays: 252), holdings: 5)
        training = PredictorTraining(kind: family == .gbdt ? .gbdt : .ridge)
        training.gbdt.trees = 60
        training.gbdt.maxLeaves = 15
        training.gbdt.minSamplesPerLeaf = 50
        policy = PolicyEvaluation()
        policyParameters = RLParameters()
        policyParameters.episodes = 60
        policyParameters.holdings = 5
    }

    /// One market's outcome.
    public struct Outcome: Sendable, Hashable {
        public var passed: Bool
        /// The rank-IC test alone (mean > 0, Newey-West t at the threshold), and the plain-t version of it that the
        /// gate used before (t >= 2 ignoring the overlap).
        public var rankICTestPassed: Bool
        public var plainRankICTestPassed: Bool
        /// The rules before trials, holdout and the deflated Sharpe: mean rank IC > 0, plain t >= 2, Sharpe margin.
        public var formerGatePassed: Bool
        public var rankICTStat: Double
        public var plainRankICTStat: Double
        public var meanRankIC: Double
        /// The gate's reasons for a refusal, by rule.
        public var failedRules: Set<String>
    }

    /// The rule a refusal reason names.
    static func rule(of reason: String) -> String {
        if reason.hasPrefix("mean out-of-sample rank IC") { return "rank_ic_mean" }
        if reason.hasPrefix("rank IC t-statistic") { return "rank_ic_t" }
        if reason.contains("test windows") { return "consistency" }
        if reason.hasPrefix("out-of-sample Sharpe") { return "sharpe_margin" }
        if reason.hasPrefix("deflated Sharpe") { return "deflated_sharpe" }
        if reason.contains("holdout") { return "holdout" }
        return "other"
    }

    public func run(seed: UInt64, trials: TrialHistory = TrialHistory(), cancellation: CancellationCheck = .never) throws -> Outcome {
        let histories = market.histories(seed: seed)
        let dataset = DatasetBuilder(horizonDays: horizon).build(histories)
        let gate: GateVerdict, metrics: PredictionMetrics, rules: GateRules, thresholds: GateThresholds?, sharpe: Double, bestBaseline: Double
        switch family {
        case .ridge, .gbdt:
            let report = try evaluation.evaluate(training, dataset: dataset, histories: histories, trials: trials, cancellation: cancellation).report
            (gate, metrics, rules, thresholds) = (report.gate, report.overall, report.rules, report.thresholds)
            (sharpe, bestBaseline) = (report.portfolio.sharpe, report.baselines.values.map(\.sharpe).max() ?? 0)
        case .rl:
            var parameters = policyParameters
            parameters.seed = seed
            let report = try policy.evaluate(parameters, dataset: dataset, histories: histories, trials: trials, cancellation: cancellation).report
            (gate, metrics, rules, thresholds) = (report.gate, report.scoreMetrics, report.rules, report.thresholds)
            (sharpe, bestBaseline) = (report.portfolio.sharpe, report.baselines.values.map(\.sharpe).max() ?? 0)
        }
        let plainT = metrics.rankICPlainTStat ?? 0
        let icThreshold = thresholds?.rankICTStat ?? rules.minimumRankICTStat
        return Outcome(passed: gate.passed,
                       rankICTestPassed: metrics.meanRankIC > rules.minimumMeanRankIC && metrics.rankICTStat >= icThreshold,
                       plainRankICTestPassed: metrics.meanRankIC > 0 && plainT >= 2,
                       formerGatePassed: metrics.meanRankIC > 0 && plainT >= 2 && sharpe >= bestBaseline + rules.sharpeMargin,
                       rankICTStat: metrics.rankICTStat, plainRankICTStat: plainT, meanRankIC: metrics.meanRankIC,
                       failedRules: gate.passed ? [] : Set(gate.reasons.map(Self.rule)))
    }

    /// Rates over many markets.
    public struct Rates: Sendable, Codable, Hashable {
        public var markets: Int
        public var gate: Double
        public var rankICTest: Double
        public var plainRankICTest: Double
        public var formerGate: Double
        /// The spread of the t-statistics across markets (about 1 on null markets when the test is honest).
        public var rankICTStatSpread: Double
        public var plainRankICTStatSpread: Double
        /// The average out-of-sample mean rank IC: how strong the signal is in the terms a researcher reads.
        public var averageRankIC: Double
        /// How often each rule refused a market.
        public var refusals: [String: Int]

        public init(_ outcomes: [Outcome]) {
            markets = outcomes.count
            let n = Double(max(1, outcomes.count))
            func rate(_ flag: (Outcome) -> Bool) -> Double { Double(outcomes.filter(flag).count) / n }
            func spread(_ values: [Double]) -> Double {
                guard values.count > 1 else { return 0 }
                let mean = values.reduce(0, +) / Double(values.count)
                return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
            }
            gate = rate(\.passed)
            rankICTest = rate(\.rankICTestPassed)
            plainRankICTest = rate(\.plainRankICTestPassed)
            formerGate = rate(\.formerGatePassed)
            rankICTStatSpread = spread(outcomes.map(\.rankICTStat))
            plainRankICTStatSpread = spread(outcomes.map(\.plainRankICTStat))
            averageRankIC = outcomes.map(\.meanRankIC).reduce(0, +) / n
            refusals = outcomes.flatMap(\.failedRules).reduce(into: [:]) { $0[$1, default: 0] += 1 }
        }
    }

    /// Runs markets `seeds` on `parallelism` threads and returns the rates.
    public func rates(seeds: Range<UInt64>, parallelism: Int = 1, trials: TrialHistory = TrialHistory()) throws -> Rates {
        let seedList = Array(seeds)
        let results = LockedResults(count: seedList.count)
        let workers = max(1, min(parallelism, seedList.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: seedList.count, by: workers) {
                results.set(index, Result { try run(seed: seedList[index], trials: trials) })
            }
        }
        return Rates(try results.values())
    }
}

/// Results written by index from several threads.
private final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<GateMonteCarlo.Outcome, any Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<GateMonteCarlo.Outcome, any Error>) {
        lock.lock(); defer { lock.unlock() }
        slots[index] = result
    }

    func values() throws -> [GateMonteCarlo.Outcome] {
        lock.lock(); defer { lock.unlock() }
        return try slots.map { try $0!.get() }
    }
}
