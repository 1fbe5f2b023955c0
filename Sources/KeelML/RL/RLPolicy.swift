import Foundation
import KeelCore
import Synchronization

/// Settings of the policy-gradient training; `validated()` names the first one out of range.
public struct RLParameters: Sendable, Codable, Hashable {
    public var episodes = 400
    public var stepsPerEpisode = 6
    public var learningRate = 0.05
    /// Softmax temperature of the allocation.
    public var temperature = 0.5
    /// Names drawn from the policy per step (the sampled portfolio).
    public var samplesPerStep = 10
    /// Reward = log(1 + net return) − riskPenalty · net return².
    public var riskPenalty = 0.5
    public var costBasisPoints = 5.0
    /// Names the deterministic policy holds.
    public var holdings = 10
    /// Early stopping: training ends after this many validation checks (every 50 episodes) without a better
    /// validation rank IC (0: never; every episode runs and the best checked policy is still the one kept).
    public var earlyStoppingChecks = 4
    public var seed: UInt64 = 1

    public init() {}

    enum CodingKeys: String, CodingKey {
        case episodes, stepsPerEpisode, learningRate, temperature, samplesPerStep, riskPenalty, costBasisPoints, holdings, earlyStoppingChecks, seed
    }

    // Plans stored before a setting existed still load, with that setting at its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = RLParameters()
        episodes = try container.decodeIfPresent(Int.self, forKey: .episodes) ?? defaults.episodes
        stepsPerEpisode = try container.decodeIfPresent(Int.self, forKey: .stepsPerEpisode) ?? defaults.stepsPerEpisode
        learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? defaults.learningRate
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature) ?? defaults.temperature
        samplesPerStep = try container.decodeIfPresent(Int.self, forKey: .samplesPerStep) ?? defaults.samplesPerStep
        riskPenalty = try container.decodeIfPresent(Double.self, forKey: .riskPenalty) ?? defaults.riskPenalty
        costBasisPoints = try container.decodeIfPresent(Double.self, forKey: .costBasisPoints) ?? defaults.costBasisPoints
        holdings = try container.decodeIfPresent(Int.self, forKey: .holdings) ?? defaults.holdings
        earlyStoppingChecks = try container.decodeIfPresent(Int.self, forKey: .earlyStoppingChecks) ?? defaults.earlyStoppingChecks
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
    }

    public func validated() throws -> RLParameters {
        func check(_ ok: Bool, _ field: String, _ message: String) throws { if !ok { throw GBDTParameters.Invalid(field: field, message: message) } }
        try check((1...100_000).contains(episodes), "episodes", "episodes must be between 1 and 100,000")
        try check((1...100).contains(stepsPerEpisode), "steps_per_episode", "steps_per_episode must be between 1 and 100")
        try check(learningRate > 0 && learningRate <= 10, "learning_rate", "learning_rate must be in (0, 10]")
        try check(temperature > 0.01 && temperature <= 100, "temperature", "temperature must be in (0.01, 100]")
        try check((1...1000).contains(samplesPerStep), "samples_per_step", "samples_per_step must be between 1 and 1000")
        try check(riskPenalty >= 0 && riskPenalty <= 100, "risk_penalty", "risk_penalty must be between 0 and 100")
        try check(costBasisPoints >= 0 && costBasisPoints <= 1000, "cost_bps", "cost_bps must be between 0 and 1000")
        try check((1...500).contains(holdings), "holdings", "holdings must be between 1 and 500")
        try check((0...1000).contains(earlyStoppingChecks), "early_stopping_checks", "early_stopping_checks must be between 0 and 1000")
        return self
    }
}

/// A linear softmax allocation policy over the cross-section: each symbol's logit is θ · (its features,
/// z-scored across the symbols of the same day) / temperature. The same θ scores any universe, so the policy
/// trained on one set of names allocates over another.
public struct RLPolicy: Sendable, Codable, Hashable {
    public var featureNames: [String]
    public var weights: [Double]
    /// The logit weight of a name's current portfolio weight (the account's part of the observation): positive
    /// keeps what is held, which saves turnover.
    public var holdingWeight: Double = 0
    public var temperature: Double
    public var holdings: Int
    /// Mean episode reward per training round of 20 episodes.
    public var trainingCurve: [Double]

    /// Features z-scored across the rows (symbols) of one day; missing values at 0.
    public static func crossSectional(_ rows: [[Double]]) -> [[Double]] {
        guard let width = rows.first?.count else { return [] }
        var result = rows
        for f in 0..<width {
            let values = rows.map { $0[f] }.filter(\.isFinite)
            let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            let sd = values.count > 1 ? (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot() : 0
            for i in rows.indices {
                let x = rows[i][f]
                result[i][f] = x.isFinite && sd > 0 ? max(-5, min(5, (x - mean) / sd)) : 0
            }
        }
        return result
    }

    /// Softmax probabilities over the rows (already z-scored), given each name's current weight (0 when not held).
    public func probabilities(_ standardized: [[Double]], current: [Double]? = nil) -> [Double] {
        let logits = standardized.indices.map { i in
            (zip(standardized[i], weights).reduce(0) { $0 + $1.0 * $1.1 } + holdingWeight * (current?[i] ?? 0)) / temperature
        }
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { total > 0 ? $0 / total : 1 / Double(exps.count) }
    }

    /// The deterministic allocation: the `holdings` most probable names, weighted by their probability.
    public func allocation(symbols: [String], features rows: [[Double]], investable: Double, maxPositions: Int,
                           current: [String: Double] = [:]) -> [String: Double] {
        guard !symbols.isEmpty, symbols.count == rows.count else { return [:] }
        let probabilities = self.probabilities(Self.crossSectional(rows), current: symbols.map { current[$0] ?? 0 })
        let chosen = symbols.indices.sorted { (probabilities[$0], symbols[$1]) > (probabilities[$1], symbols[$0]) }
            .prefix(max(1, min(holdings, maxPositions)))
        let total = chosen.reduce(0) { $0 + probabilities[$1] }
        guard total > 0 else { return [:] }
        return Dictionary(uniqueKeysWithValues: chosen.map { (symbols[$0], investable * probabilities[$0] / total) })
    }
}

/// Trains `RLPolicy` with REINFORCE in an environment built on the backtest engine: an episode starts on a random
/// day of the range and replays `stepsPerEpisode` rebalances, `horizonDays` apart, through `PortfolioBacktester`
/// (the same fills, commission and lot rules as live). At each rebalance the policy draws `samplesPerStep` names;
/// each draw's log-probability gradient is credited with its name's forward return over the day's average (a
/// state-dependent baseline), and the whole step's with what the engine made of the allocation beyond those
/// returns (costs, lots, cash) and with the risk penalty: −riskPenalty · (R² − b), R the step's realised return
/// and b a running average of R² (a baseline that keeps the estimate unbiased). So the update follows the
/// reward the episode records: the engine's log return minus the risk penalty.
public struct RLTrainer: Sendable {
    public let parameters: RLParameters

    public init(parameters: RLParameters) {
        self.parameters = parameters
    }

    /// `cancellation` is checked every episode (and inside each episode's replay); `progress` gets the share of
    /// episodes done.
    /// Early stopping on a validation stretch: every `checkEvery` episodes the policy's allocation scores are
    /// ranked against the validation days' labels (mean rank IC); the best policy is kept, and training stops
    /// after `earlyStoppingChecks` checks without improvement. Nothing of the test stretch is used.
    public struct Validation: Sendable {
        public var days: Range<Int>
        public var checkEvery: Int

        public init(days: Range<Int>, checkEvery: Int = 50) {
            self.days = days
            self.checkEvery = max(1, checkEvery)
        }
    }

    /// What the validation checks measured: the mean rank IC after each check's episodes, and the episode kept.
    public struct ValidationTrace: Sendable, Codable, Hashable {
        public var episodes: [Int]
        public var rankICs: [Double]
        public var bestEpisode: Int
    }

    public func train(_ dataset: Dataset, histories: [BarSeries], days: Range<Int>, cancellation: CancellationCheck = .never,
                      progress: (Double) -> Void = { _ in }) throws -> RLPolicy {
        try train(dataset, histories: histories, days: days, validation: nil, cancellation: cancellation, progress: progress).policy
    }

    public func train(_ dataset: Dataset, histories: [BarSeries], days: Range<Int>, validation: Validation?, cancellation: CancellationCheck = .never,
                      progress: (Double) -> Void = { _ in }) throws -> (policy: RLPolicy, validation: ValidationTrace?) {
        let p = try parameters.validated()
        let horizon = max(1, dataset.horizonDays)
        let features = dataset.featureCount
        var sections: [Date: CrossSection] = [:]
        for (day, rows) in dataset.rowsByDay(dataset.labelledRows(inDays: days)) where rows.count >= 2 {
            let raw = rows.map { row in (0..<features).map { dataset.columns[$0][row] } }
            sections[dataset.days[day]] = CrossSection(symbols: rows.map { dataset.symbols[Int(dataset.symbolIndex[$0])] },
                                                       x: RLPolicy.crossSectional(raw), y: rows.map { dataset.labels[$0] })
        }
        let lastStart = days.upperBound - horizon * p.stepsPerEpisode
        guard lastStart > days.lowerBound, !sections.isEmpty else {
            throw GBDTParameters.Invalid(field: "from", message: "the training range is too short for \(p.stepsPerEpisode) steps of \(horizon) days")
        }
        let series = histories.filter { $0.count > 0 }
        // The environment fills as the policy is judged and trades: at the next open, with slippage and its costs.
        let execution = ExecutionModel(timing: .nextOpen, slippage: .fixedBasisPoints(5), commission: .basisPoints(p.costBasisPoints))
        let backtester = PortfolioBacktester(execution: execution, initialCash: 1_000_000,
                                             schedule: .everyBars(horizon),
                                             constraints: PortfolioConstraints(maxPositions: p.samplesPerStep, maxWeight: 1, cashBuffer: 0.01),
                                             warmUp: 0)
        var policy = RLPolicy(featureNames: dataset.featureNames, weights: [Double](repeating: 0, count: features),
                              temperature: p.temperature, holdings: p.holdings, trainingCurve: [])
        var generator = SeededGenerator(seed: p.seed)
        var roundReward = 0.0
        // The running average of a step's squared return: the penalty's baseline.
        var squaredReturnBaseline: Double?
        let validationSections: [CrossSection] = validation.map { validation in
            dataset.rowsByDay(dataset.labelledRows(inDays: validation.days)).filter { $0.rows.count >= 3 }.map { _, rows in
                CrossSection(symbols: [], x: RLPolicy.crossSectional(rows.map { row in (0..<features).map { dataset.columns[$0][row] } }),
                             y: rows.map { dataset.labels[$0] })
            }
        } ?? []
        var trace = ValidationTrace(episodes: [], rankICs: [], bestEpisode: 0)
        var best: (score: Double, policy: RLPolicy)?
        var checksWithoutGain = 0
        for episode in 0..<p.episodes {
            try cancellation.checkpoint()
            if episode % 50 == 0 { progress(Double(episode) / Double(p.episodes)) }
            let start = Int.random(in: days.lowerBound..<lastStart, using: &generator)
            let first = dataset.days[start], last = dataset.days[min(start + horizon * p.stepsPerEpisode, dataset.days.count - 1)]
            let market = PredictorEvaluation.market(series, from: first, through: last)
            let episodeStrategy = SampledAllocation(policy: policy, sections: sections, samples: p.samplesPerStep, seed: generator.next())
            let equity = try backtester.run(episodeStrategy, market: market, cancellation: cancellation).result.equity
            var update = [Double](repeating: 0, count: features + 1)
            var episodeReturn = 0.0
            for step in episodeStrategy.recorded() {
                guard let from = market.timestamps.firstIndex(of: step.date), from < equity.count, equity[from] > 0 else { continue }
                let to = min(from + horizon, equity.count - 1)
                let realised = equity[to] / equity[from] - 1
                // What the engine did beyond the names' returns: commission, whole shares, cash left over.
                let drag = realised - step.labelReturn
                let squared = realised * realised
                let penalty = p.riskPenalty * (squared - (squaredReturnBaseline ?? squared))
                squaredReturnBaseline = 0.95 * (squaredReturnBaseline ?? squared) + 0.05 * squared
                for f in 0...features { update[f] += step.credited[f] + (drag - penalty) * step.plain[f] }
                episodeReturn += log(max(1e-6, 1 + realised)) - p.riskPenalty * squared
            }
            let norm = update.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale = norm > 1 ? 1 / norm : 1
            for f in 0..<features { policy.weights[f] += p.learningRate * scale * update[f] }
            policy.holdingWeight += p.learningRate * scale * update[features]
            roundReward += episodeReturn
            if (episode + 1) % 20 == 0 {
                policy.trainingCurve.append(roundReward / 20)
                roundReward = 0
            }
            if let validation, !validationSections.isEmpty, (episode + 1) % validation.checkEvery == 0 || episode + 1 == p.episodes {
                let score = Self.validationScore(policy, validationSections)
                trace.episodes.append(episode + 1)
                trace.rankICs.append(score)
                if best == nil || score > best!.score + 1e-12 {
                    best = (score, policy)
                    trace.bestEpisode = episode + 1
                    checksWithoutGain = 0
                } else {
                    checksWithoutGain += 1
                    if p.earlyStoppingChecks > 0 && checksWithoutGain >= p.earlyStoppingChecks { break }
                }
            }
        }
        guard let best else { return (policy, validation == nil ? nil : trace) }
        var kept = best.policy
        kept.trainingCurve = policy.trainingCurve
        return (kept, trace)
    }

    /// The mean over validation days of the rank correlation between the policy's allocation probabilities (from
    /// an empty portfolio) and the names' forward returns.
    static func validationScore(_ policy: RLPolicy, _ sections: [CrossSection]) -> Double {
        var total = 0.0, count = 0.0
        for section in sections {
            let probabilities = policy.probabilities(section.x, current: [Double](repeating: 0, count: section.x.count))
            if let ic = PredictionMetrics.rankCorrelation(probabilities, section.y) { total += ic; count += 1 }
        }
        return count > 0 ? total / count : 0
    }

    static func sample(_ probabilities: [Double], using generator: inout SeededGenerator) -> Int {
        var u = Double.random(in: 0..<1, using: &generator)
        for (i, p) in probabilities.enumerated() {
            u -= p
            if u < 0 { return i }
        }
        return probabilities.count - 1
    }
}

/// One day's names for training: z-scored features and forward returns.
struct CrossSection: Sendable {
    var symbols: [String]
    var x: [[Double]]
    var y: [Double]
}

/// The policy during one training episode, as a strategy the engine replays: at each rebalance it draws names
/// from the policy and records what the gradient needs.
final class SampledAllocation: PortfolioStrategy, Sendable {
    struct Step: Sendable {
        var date: Date
        /// Σ over draws of (return − day's mean) · ∇log π, over the number of draws; the last entry is the
        /// holding weight's.
        var credited: [Double]
        /// Σ over draws of ∇log π, over the number of draws.
        var plain: [Double]
        /// The drawn portfolio's return from the names' forward returns alone.
        var labelReturn: Double
    }

    let name = "rl-episode"
    let policy: RLPolicy
    let sections: [Date: CrossSection]
    let samples: Int
    private let state: Mutex<(generator: SeededGenerator, steps: [Step], held: [String: Double])>

    init(policy: RLPolicy, sections: [Date: CrossSection], samples: Int, seed: UInt64) {
        self.policy = policy
        self.sections = sections
        self.samples = max(1, samples)
        self.state = Mutex((SeededGenerator(seed: seed), [], [:]))
    }

    func recorded() -> [Step] { state.withLock { $0.steps } }

    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        guard let section = sections[market.date] else { return [:] }
        let width = section.x.first?.count ?? 0
        let mean = section.y.reduce(0, +) / Double(section.y.count)
        return state.withLock { state in
            // The observation: the names' features and what the episode's portfolio holds of each.
            let current = section.symbols.map { state.held[$0] ?? 0 }
            let probabilities = policy.probabilities(section.x, current: current)
            var expected = (0..<width).map { f in zip(probabilities, section.x).reduce(0) { $0 + $1.0 * $1.1[f] } }
            expected.append(zip(probabilities, current).reduce(0) { $0 + $1.0 * $1.1 })
            var counts = [Int](repeating: 0, count: section.symbols.count)
            var credited = [Double](repeating: 0, count: width + 1), plain = [Double](repeating: 0, count: width + 1)
            for _ in 0..<samples {
                let pick = RLTrainer.sample(probabilities, using: &state.generator)
                counts[pick] += 1
                for f in 0...width {
                    let observed = f < width ? section.x[pick][f] : current[pick]
                    let gradient = (observed - expected[f]) / policy.temperature / Double(samples)
                    credited[f] += (section.y[pick] - mean) * gradient
                    plain[f] += gradient
                }
            }
            var weights: [String: Double] = [:], labelReturn = 0.0
            for (i, count) in counts.enumerated() where count > 0 {
                let weight = Double(count) / Double(samples)
                weights[section.symbols[i]] = weight * constraints.investableFraction
                labelReturn += weight * section.y[i]
            }
            state.steps.append(Step(date: market.date, credited: credited, plain: plain, labelReturn: labelReturn * constraints.investableFraction))
            state.held = weights
            return weights
        }
    }
}

