import Foundation
import KeelML

/// The most work one training job may ask for, so a single in-range request cannot hold a compute thread for
/// hours. Checked when the training is submitted, against the stored data it will use; a request over budget is
/// refused with a 422 naming the parameter to lower. Measured on this project's reference machine (release
/// build, one core; README "Operations"), each limit keeps one job to roughly ten minutes.
public struct TrainingBudget: Sendable, Hashable {
    /// Gradient-boosted trees: trees × labelled rows (each boosting round passes over the rows).
    public var gbdtTreeRows: Double = 1.5e9
    /// Gradient-boosted trees: trees × max_leaves (each split builds and scans histograms).
    public var gbdtTreeLeaves: Double = 524_288
    /// RL policy: episodes × steps_per_episode × horizon_days × symbols (the bars and names each episode replays).
    public var rlEpisodeWork: Double = 4e8

    public init() {}

    func check(_ training: PredictorTraining, rows: Int) throws {
        guard training.kind == .gbdt else { return }
        let trees = Double(training.gbdt.trees)
        if trees * Double(training.gbdt.maxLeaves) > gbdtTreeLeaves {
            throw ServiceError.invalid("params.trees", String(format: "trees × max_leaves is %.0f; one training may ask for at most %.0f (lower params.trees or params.max_leaves)",
                                                              trees * Double(training.gbdt.maxLeaves), gbdtTreeLeaves))
        }
        if trees * Double(rows) > gbdtTreeRows {
            throw ServiceError.invalid("params.trees", String(format: "trees × labelled rows is %.3g (%d rows in the range); one training may ask for at most %.3g (lower params.trees, the symbols or the range)",
                                                              trees * Double(rows), rows, gbdtTreeRows))
        }
    }

    func check(_ parameters: RLParameters, horizonDays: Int, symbols: Int) throws {
        let work = Double(parameters.episodes) * Double(parameters.stepsPerEpisode) * Double(horizonDays) * Double(symbols)
        if work > rlEpisodeWork {
            throw ServiceError.invalid("episodes", String(format: "episodes × steps_per_episode × horizon_days × symbols is %.3g; one training may ask for at most %.3g (lower episodes, the steps, the horizon or the symbols)",
                                                          work, rlEpisodeWork))
        }
    }
}
