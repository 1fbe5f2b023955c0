/// The steps of the daily cycle, in order. The first two run once per cycle; the rest once per account.
public enum CycleStep: String, Sendable, Codable, CaseIterable {
    case dataUpdate = "data_update"
    case regime
    case fanOut = "account_dispatch"
    case strategySelection = "strategy_selection"
    case predictions
    case portfolioGeneration = "portfolio_generation"
    case batchCreation = "batch_creation"
    case approval
    case execution
    case reconciliation
    case performanceEvaluation = "performance_evaluation"
    case adjustment
    case finish = "cycle_finish"

    public var sequence: Int { Self.allCases.firstIndex(of: self)! + 1 }

    /// The scope of cycle-level steps in `cycle_steps` (account steps use the account hash).
    public static let cycleScope = "cycle"
}
