import Foundation
import KeelCore

/// Why a batch looks the way it does: stored with it so an advisor can review the reasoning.
public struct PlanNotes: Sendable, Codable, Hashable {
    public var targetWeights: [String: Double]
    public var skippedAsDust: [String]
    public var withinDriftThreshold: [String]
    public var unpriced: [String]
    public var maxPositions: Int
    public var maxWeight: Double
    public var cashBuffer: Double
    /// The goals that steered this batch: their combined risk factor, the strategy they chose and why.
    public var goal: GoalNotes?
    /// The autonomous cycle that planned it: the strategy it chose, the risk factor and why.
    public var cycle: CycleNotes? = nil
    /// Symbols whose prices are not from the latest completed session: no new buys, with why.
    public var staleExcluded: [String: String]? = nil
    /// A taxable account's plan: each sale's estimated realised gain and tax, and what the tax rules changed.
    public var tax: TaxNotes? = nil

    enum CodingKeys: String, CodingKey {
        case targetWeights = "target_weights"
        case skippedAsDust = "skipped_as_dust"
        case withinDriftThreshold = "within_drift_threshold"
        case unpriced
        case maxPositions = "max_positions"
        case maxWeight = "max_weight"
        case cashBuffer = "cash_buffer"
        case goal, cycle
        case staleExcluded = "stale_excluded"
        case tax
    }

    public struct TaxNotes: Sendable, Codable, Hashable {
        public var lotMethod: String
        public var shortTermRate: Decimal
        public var longTermRate: Decimal
        /// Per sold symbol: the estimated realised gain by term and the tax at the client's rates.
        public var estimates: [String: TaxAwareRebalance.Estimate]
        /// Per symbol the tax rules changed: why (a skipped buy back, a trimmed drift sale, the yearly budget).
        public var adjustments: [String: String]
        public var washSalesAllowed: Bool

        enum CodingKeys: String, CodingKey {
            case lotMethod = "lot_method", shortTermRate = "short_term_rate", longTermRate = "long_term_rate", estimates, adjustments
            case washSalesAllowed = "wash_sales_allowed"
        }
    }

    public struct CycleNotes: Sendable, Codable, Hashable {
        public var cycleID: String
        public var strategy: String
        public var riskFactor: Double
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case cycleID = "cycle_id", strategy, reason
            case riskFactor = "risk_factor"
        }
    }

    public struct GoalNotes: Sendable, Codable, Hashable {
        public var factor: Double
        public var strategy: String
        public var strategyReason: String
        public var conflicts: [String]
        public var goalIDs: [String]

        enum CodingKeys: String, CodingKey {
            case factor, strategy, conflicts
            case strategyReason = "strategy_reason"
            case goalIDs = "goal_ids"
        }
    }

    func json() throws -> String { try StoredJSON.encode(self) }

    public static func decode(_ text: String) -> PlanNotes? { try? StoredJSON.decode(PlanNotes.self, text) }
}
