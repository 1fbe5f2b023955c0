import Foundation
import KeelCore

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
    public var seed: UInt64 = 1

    public init() {}

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
        return self
    }
}

/// A linear softmax allocation policy over the cross-section: each symbol's logit is θ · (its features,
/// z-scored across the symbols of the same day) / temperature. The same θ scores any universe, so the policy
/// trained on one set of names allocates over another.
public struct RLPolicy: Sendable, Codable, Hashable {
    public var featureNames: [String]
    public var weights: [Double]
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

    /// Softmax probabilities over the rows (already z-scored).
    public func probabilities(_ standardized: [[Double]]) -> [Double] {
        let logits = standardized.map { x in zip(x, weights).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
        let top = logits.max() ?? 0
        let exps = logits.map { exp($0 - top) }
        let total = exps.reduce(0, +)
        return exps.map { total > 0 ? $0 / total : 1 / Double(exps.count) }
    }

    /// The deterministic allocation: the `holdings` most probable names, weighted by their probability.
    public func allocation(symbols: [String], features rows: [[Double]], investable: Double, maxPositions: Int) -> [String: Double] {
        guard !symbols.isEmpty, symbols.count == rows.count else { return [:] }
        let probabilities = self.probabilities(Self.crossSectional(rows))
        let chosen = symbols.indices.sorted { (probabilities[$0], symbols[$1]) > (probabilities[$1], symbols[$0]) }
            .prefix(max(1, min(holdings, maxPositions)))
        let total = chosen.reduce(0) { $0 + probabilities[$1] }
        guard total > 0 else { return [:] }
        return Dictionary(uniqueKeysWithValues: chosen.map { (symbols[$0], investable * probabilities[$0] / total) })
    }
}

/// Trains `RLPolicy` with REINFORCE on a dataset's days: an episode starts on a random day of the range and
/// rebalances every `horizonDays`; each step samples `samplesPerStep` names from the policy, and each draw's
/// log-probability gradient is scaled by its name's forward return over the day's average (a state-dependent
/// baseline). The episode's reward (log net return after turnover costs, minus the risk penalty) is recorded as
/// the training curve.
public struct RLTrainer: Sendable {
    public let parameters: RLParameters

    public init(parameters: RLParameters) {
        self.parameters = parameters
    }

    public func train(_ dataset: Dataset, days: Range<Int>) throws -> RLPolicy {
        let p = try parameters.validated()
        let horizon = max(1, dataset.horizonDays)
        let features = dataset.featureCount
        // Per day: z-scored features and forward returns of the names with a known label.
        var byDay: [Int: (x: [[Double]], y: [Double], symbols: [Int])] = [:]
        for (day, rows) in dataset.rowsByDay(dataset.labelledRows(inDays: days)) where rows.count >= 2 {
            let raw = rows.map { row in (0..<features).map { dataset.columns[$0][row] } }
            byDay[day] = (RLPolicy.crossSectional(raw), rows.map { dataset.labels[$0] }, rows.map { Int(dataset.symbolIndex[$0]) })
        }
        let lastStart = days.upperBound - horizon * p.stepsPerEpisode
        guard lastStart > days.lowerBound, !byDay.isEmpty else {
            throw GBDTParameters.Invalid(field: "from", message: "the training range is too short for \(p.stepsPerEpisode) steps of \(horizon) days")
        }
        var policy = RLPolicy(featureNames: dataset.featureNames, weights: [Double](repeating: 0, count: features),
                              temperature: p.temperature, holdings: p.holdings, trainingCurve: [])
        var generator = SeededGenerator(seed: p.seed)
        var roundReward = 0.0
        for episode in 0..<p.episodes {
            let start = Int.random(in: days.lowerBound..<lastStart, using: &generator)
            var update = [Double](repeating: 0, count: features)
            var episodeReturn = 0.0
            var previous: [Int: Double] = [:]
            for step in 0..<p.stepsPerEpisode {
                let day = start + step * horizon
                guard let (x, y, symbols) = byDay[day] else { continue }
                let probabilities = policy.probabilities(x)
                let expected = (0..<features).map { f in zip(probabilities, x).reduce(0) { $0 + $1.0 * $1.1[f] } }
                let meanReturn = y.reduce(0, +) / Double(y.count)
                var counts = [Int](repeating: 0, count: x.count)
                for _ in 0..<p.samplesPerStep {
                    let pick = Self.sample(probabilities, using: &generator)
                    counts[pick] += 1
                    // Each draw is credited with its name's return over the day's average: the state-dependent
                    // baseline removes the market's move, which no allocation controls.
                    let advantage = y[pick] - meanReturn
                    for f in 0..<features { update[f] += advantage * (x[pick][f] - expected[f]) / p.temperature / Double(p.samplesPerStep) }
                }
                // The sampled portfolio's net reward, in symbol order (sums in a fixed order: deterministic).
                var weights: [Int: Double] = [:]
                for (i, c) in counts.enumerated() where c > 0 && i < symbols.count { weights[symbols[i]] = Double(c) / Double(p.samplesPerStep) }
                var gross = 0.0
                for (i, c) in counts.enumerated() where c > 0 { gross += Double(c) / Double(p.samplesPerStep) * y[i] }
                let names = Set(weights.keys).union(previous.keys).sorted()
                let turnover = names.reduce(0.0) { $0 + abs((weights[$1] ?? 0) - (previous[$1] ?? 0)) }
                let net = gross - turnover * p.costBasisPoints / 10_000
                episodeReturn += log(max(1e-6, 1 + net)) - p.riskPenalty * net * net
                previous = weights
            }
            let norm = update.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale = norm > 1 ? 1 / norm : 1
            for f in 0..<features { policy.weights[f] += p.learningRate * scale * update[f] }
            roundReward += episodeReturn
            if (episode + 1) % 20 == 0 {
                policy.trainingCurve.append(roundReward / 20)
                roundReward = 0
            }
        }
        return policy
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
