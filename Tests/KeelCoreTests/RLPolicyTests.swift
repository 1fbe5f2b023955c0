import Foundation
import KeelCore
@testable import KeelML
import Testing

@Suite("RL allocation policy")
struct RLPolicyTests {
    static func evaluate(signal: Bool, seed: UInt64 = 3) throws -> (RLPolicy, PolicyReport) {
        let histories = PlantedMarket.histories(signal: signal)
        let dataset = DatasetBuilder(horizonDays: 20).build(histories)
        var parameters = RLParameters()
        parameters.episodes = 300
        parameters.seed = seed
        return try PolicyEvaluation().evaluate(parameters, dataset: dataset, histories: histories)
    }

    @Test("on the planted market the policy beats equal weight out of sample and passes the gate; on a random walk it fails")
    func gate() throws {
        let (policy, planted) = try Self.evaluate(signal: true)
        #expect(planted.portfolio.sharpe > planted.baselines["equal_weight"]!.sharpe, "\(planted.portfolio) vs \(planted.baselines)")
        #expect(planted.gate.passed, "\(planted.gate.reasons)")
        #expect(planted.trainTo < planted.testFrom)
        // Early stopping looked at a validation stretch inside the training range, never at the test stretch.
        let validation = try #require(planted.validation, "a validation trace")
        #expect(!validation.episodes.isEmpty && validation.episodes.contains(validation.bestEpisode))
        let validationFrom = try #require(planted.validationFrom), validationTo = try #require(planted.validationTo)
        #expect(validationTo < planted.testFrom && validationFrom > planted.trainFrom)
        #expect(policy.weights.contains { $0 != 0 })
        let (_, random) = try Self.evaluate(signal: false)
        #expect(!random.gate.passed, "\(random.portfolio) vs \(random.baselines)")
    }

    @Test("training is deterministic per seed; the policy allocates over any universe within its limits")
    func deterministicAndBounded() throws {
        let (a, reportA) = try Self.evaluate(signal: true)
        let (b, reportB) = try Self.evaluate(signal: true)
        #expect(a == b && reportA == reportB)
        let width = FeatureBuilder.names.count
        var rows: [[Double]] = []
        for i in 0..<8 {
            var row: [Double] = []
            for f in 0..<width { row.append(Double((f * 7 + i * 3) % 11)) }
            rows.append(row)
        }
        let allocation = a.allocation(symbols: (0..<8).map { "X\($0)" }, features: rows, investable: 0.95, maxPositions: 3)
        #expect(allocation.count == 3)
        #expect(abs(allocation.values.reduce(0, +) - 0.95) < 1e-9)
        #expect(a.allocation(symbols: [], features: [], investable: 1, maxPositions: 5).isEmpty, "an empty universe allocates nothing")

        // The account is part of the observation: a policy that values what it holds keeps it.
        var sticky = RLPolicy(featureNames: FeatureBuilder.names, weights: [Double](repeating: 0, count: width), holdingWeight: 5,
                              temperature: 0.5, holdings: 1, trainingCurve: [])
        let symbols = (0..<8).map { "X\($0)" }
        #expect(sticky.allocation(symbols: symbols, features: rows, investable: 1, maxPositions: 1, current: ["X5": 0.9]).keys.first == "X5")
        sticky.holdingWeight = 0
        #expect(sticky.allocation(symbols: symbols, features: rows, investable: 1, maxPositions: 1, current: ["X5": 0.9]).keys.first == "X0",
                "without it, equal scores go by name")
    }

    @Test("episodes run through the backtest engine: its commission lowers the rewards the policy learns from")
    func engineCostsReachTheReward() throws {
        let histories = PlantedMarket.histories(signal: true)
        let dataset = DatasetBuilder(horizonDays: 20).build(histories)
        func meanReward(costBasisPoints: Double) throws -> Double {
            var parameters = RLParameters()
            parameters.episodes = 60
            parameters.costBasisPoints = costBasisPoints
            let curve = try RLTrainer(parameters: parameters).train(dataset, histories: histories, days: 0..<400).trainingCurve
            return curve.reduce(0, +) / Double(curve.count)
        }
        let free = try meanReward(costBasisPoints: 0), costly = try meanReward(costBasisPoints: 300)
        // Each step turns most of the portfolio over: 3% commission per unit of turnover, about 6 steps an episode.
        #expect(free - costly > 0.1, "free \(free), costly \(costly)")
    }

    /// Half the names swing 3% a day with a higher drift, half 0.5% with a lower one: without a risk penalty the
    /// policy should chase the volatile half; a heavy penalty should steer it to the calm half.
    static func twoVolatilityMarket(seed: UInt64) -> [BarSeries] {
        var generator = SeededGenerator(seed: seed)
        let start = Date(timeIntervalSince1970: 1_500_000_000)
        return (0..<16).map { s in
            let volatile = s % 2 == 0
            var series = BarSeries(symbol: String(format: "V%02d", s))
            var close = 100.0
            for d in 0..<700 {
                close *= 1 + (volatile ? 0.0012 : 0.0003) + (volatile ? 0.03 : 0.005) * generator.nextNormal()
                close = max(close, 1)
                series.append(timestamp: start.addingTimeInterval(Double(d) * 86_400), open: close, high: close * 1.001, low: close * 0.999,
                              close: close, volume: 1_000_000)
            }
            return series
        }
    }

    @Test("the risk penalty is in the policy gradient: over eight seeded markets a heavy penalty lowers the volatility the policy realises out of sample")
    func riskPenaltyLowersVolatility() throws {
        func realisedVolatility(market seed: UInt64, penalty: Double) throws -> Double {
            let histories = Self.twoVolatilityMarket(seed: seed)
            let dataset = DatasetBuilder(horizonDays: 5).build(histories)
            var parameters = RLParameters()
            parameters.episodes = 400
            parameters.riskPenalty = penalty
            parameters.holdings = 4
            parameters.seed = 5
            let policy = try RLTrainer(parameters: parameters).train(dataset, histories: histories, days: 0..<450)
            let test = PredictorEvaluation.market(histories, from: dataset.days[460], through: dataset.days[699])
            let replay = try PortfolioBacktester(execution: ExecutionModel(commission: .basisPoints(5)), initialCash: 1_000_000, schedule: .everyBars(5),
                                                 constraints: PortfolioConstraints(maxPositions: 4, maxWeight: 1, cashBuffer: 0.01), warmUp: 0)
                .run(RLPolicyStrategy(policy: policy, version: "test"), market: test)
            return PerformanceMetrics(result: replay.result).annualVolatility
        }
        var ratios: [Double] = []
        for seed in 1...8 as ClosedRange<UInt64> {
            ratios.append(try realisedVolatility(market: seed, penalty: 100) / realisedVolatility(market: seed, penalty: 0))
        }
        // Measured: ratios 0.18-0.70, median 0.4; one market in eight may go the other way (a single draw did: 1.17 on
        // seed 17). Without the penalty in the gradient the two trainings are identical, seed for seed (ratio 1).
        let lower = ratios.filter { $0 < 1 }.count
        let median = ratios.sorted()[ratios.count / 2]
        #expect(lower >= 7, "volatility ratios penalised/unpenalised: \(ratios)")
        #expect(median < 0.6, "volatility ratios penalised/unpenalised: \(ratios)")
    }

    @Test("parameters out of range are refused by name")
    func parameters() {
        var bad = RLParameters()
        bad.learningRate = -1
        #expect(throws: GBDTParameters.Invalid.self) { try bad.validated() }
        bad = RLParameters()
        bad.episodes = 0
        let invalid = #expect(throws: GBDTParameters.Invalid.self) { try bad.validated() }
        #expect(invalid?.field == "episodes")
    }
}
