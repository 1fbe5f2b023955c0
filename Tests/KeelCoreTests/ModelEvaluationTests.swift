import Foundation
import KeelCore
@testable import KeelML
import Testing

@Suite("Walk-forward evaluation and the deployment gate")
struct ModelEvaluationTests {
    static func evaluate(_ kind: PredictorKind, signal: Bool) throws -> (TrainedPredictor, EvaluationReport) {
        let histories = PlantedMarket.histories(signal: signal)
        let dataset = DatasetBuilder(horizonDays: 20).build(histories)
        var training = PredictorTraining(kind: kind)
        training.gbdt.trees = 80
        training.gbdt.maxLeaves = 15
        training.gbdt.minSamplesPerLeaf = 50
        return try PredictorEvaluation().evaluate(training, dataset: dataset, histories: histories)
    }

    @Test("ridge and gbdt pass the gate on the planted market and fail it on a random walk", arguments: PredictorKind.allCases)
    func gate(kind: PredictorKind) throws {
        let (_, planted) = try Self.evaluate(kind, signal: true)
        #expect(planted.gate.passed, "\(kind) on the planted market: \(planted.gate.reasons)")
        #expect(planted.windows.count >= 3)
        #expect(planted.windows.allSatisfy { $0.trainTo < $0.testFrom })
        #expect(Set(planted.baselines.keys) == ["equal_weight", "buy_and_hold", "momentum_12_1"])
        #expect(planted.portfolio.sharpe > planted.baselines.values.map(\.sharpe).max()!)

        let (_, random) = try Self.evaluate(kind, signal: false)
        #expect(!random.gate.passed, "\(kind) on a random walk passed: \(random.overall)")
        #expect(!random.gate.reasons.isEmpty)
    }

    @Test("same data, settings and seed give the same artifact bytes and the same report")
    func reproducible() throws {
        let (a, reportA) = try Self.evaluate(.gbdt, signal: true)
        let (b, reportB) = try Self.evaluate(.gbdt, signal: true)
        #expect(try a.artifact() == b.artifact())
        #expect(reportA == reportB)
        #expect(try TrainedPredictor.load(a.artifact()) == a, "the artifact loads back to the same model")
    }

    @Test("a history too short for one walk-forward window is an error, not a crash")
    func tooShort() {
        let histories = PlantedMarket.histories(symbols: 5, days: 120, signal: true)
        let dataset = DatasetBuilder(horizonDays: 20).build(histories)
        #expect(throws: PredictorEvaluation.EvaluationError.self) {
            try PredictorEvaluation().evaluate(PredictorTraining(kind: .ridge), dataset: dataset, histories: histories)
        }
    }
}
