import Foundation
import KeelCore
@testable import KeelML
import Synchronization
import Testing

/// The engines stop at their checkpoints: every boosting round, RL episode, walk-forward window and every 256
/// backtest bars call the check, and the first check that throws ends the work with that error.
@Suite("Cancellation inside the engines")
struct CancellationCheckTests {
    struct Stopped: Error {}

    /// Counts checks and throws from the `stopAt`-th one on (never when nil).
    final class Counter: Sendable {
        let calls = Mutex(0)
        let stopAt: Int?
        init(stopAt: Int? = nil) { self.stopAt = stopAt }
        var count: Int { calls.withLock { $0 } }
        var check: CancellationCheck {
            CancellationCheck { [self] in
                let n = calls.withLock { $0 += 1; return $0 }
                if let stopAt, n >= stopAt { throw Stopped() }
            }
        }
    }

    @Test("gradient boosting checks every round (and inside large trees) and stops at the first refusal")
    func boosting() throws {
        let dataset = DatasetBuilder(horizonDays: 20).build(PlantedMarket.histories(signal: true))
        let rows = dataset.labelledRows(inDays: 0..<(dataset.days.count - 20))
        var parameters = GBDTParameters()
        parameters.trees = 40
        parameters.earlyStoppingRounds = 0
        let counting = Counter()
        _ = try GBDTTrainer(parameters: parameters).fit(dataset, train: rows, validation: [], cancellation: counting.check)
        #expect(counting.count >= 40, "at least one check per tree: \(counting.count)")
        let stopping = Counter(stopAt: 5)
        #expect(throws: Stopped.self) { try GBDTTrainer(parameters: parameters).fit(dataset, train: rows, validation: [], cancellation: stopping.check) }
        #expect(stopping.count == 5, "nothing ran past the refusal")
    }

    @Test("RL training checks every episode and walk-forward evaluation every window; both stop when told")
    func trainingAndEvaluation() throws {
        let histories = PlantedMarket.histories(signal: true)
        let dataset = DatasetBuilder(horizonDays: 20).build(histories)
        var parameters = RLParameters()
        parameters.episodes = 60
        let counting = Counter()
        _ = try RLTrainer(parameters: parameters).train(dataset, histories: histories, days: 0..<(dataset.days.count - 20), cancellation: counting.check)
        #expect(counting.count >= 60, "at least one check per episode: \(counting.count)")
        #expect(throws: Stopped.self) {
            try RLTrainer(parameters: parameters).train(dataset, histories: histories, days: 0..<(dataset.days.count - 20), cancellation: Counter(stopAt: 3).check)
        }
        let windows = Counter()
        _ = try PredictorEvaluation().evaluate(PredictorTraining(kind: .ridge), dataset: dataset, histories: histories, cancellation: windows.check)
        #expect(windows.count >= PredictorEvaluation().split.windows(dayCount: dataset.days.count, horizonDays: 20).count)
        #expect(throws: Stopped.self) {
            try PredictorEvaluation().evaluate(PredictorTraining(kind: .ridge), dataset: dataset, histories: histories, cancellation: Counter(stopAt: 2).check)
        }
    }

    @Test("a portfolio backtest checks at least every 256 bars and at every rebalance, and stops when told")
    func backtest() throws {
        let market = AlignedMarket(PlantedMarket.histories(signal: false))
        let engine = PortfolioBacktester(schedule: .monthly, warmUp: 0)
        let counting = Counter()
        _ = try engine.run(BuyAndHoldStrategy(), market: market, cancellation: counting.check)
        #expect(counting.count >= market.count / 256, "\(counting.count) checks over \(market.count) bars")
        let stopping = Counter(stopAt: 2)
        #expect(throws: Stopped.self) { try engine.run(BuyAndHoldStrategy(), market: market, cancellation: stopping.check) }
    }
}
