import Foundation
import KeelCore
import KeelStore

public struct RebalanceRequest: Sendable {
    public var clientID: Int?
    public var accountHash: String?
    /// Overrides the client's model portfolio for this batch.
    public var portfolioID: Int?
    /// Overrides the client's max positions for this batch.
    public var maxPositions: Int?
    /// Overrides the client's approval preference for this batch.
    public var requireApproval: Bool?
    /// Let the account's financial goals set the risk factor and strategy (default true when it has goals).
    public var useGoals: Bool?
    /// The autonomous cycle's choice: this strategy instead of the goals' or the model portfolio's.
    public var strategy: StrategyKind? = nil
    /// The autonomous cycle's risk factor (goals and de-risking already folded in) instead of the goals' own.
    public var riskFactor: Double? = nil
    /// The cycle planning this batch (stored with it: a resumed cycle finds the batch instead of planning another).
    public var cycleID: String? = nil
    /// Why the cycle chose this strategy (kept in the plan notes).
    public var decisionReason: String? = nil
    /// The advisor plans knowingly a purchase or sale the wash-sale rule would make disallow a loss.
    public var allowWashSales: Bool = false
    /// Where the cycle's shared price histories come from (nil: read from the database in the planning transaction).
    var histories: (@Sendable (_ symbols: [String], _ since: Date, _ session: Session) async throws -> [BarSeries])? = nil
    /// Where the cycle's shared forecasts come from (nil: the planner runs the model itself).
    var forecasts: ForecastMemo? = nil

    public init(clientID: Int?, accountHash: String?, portfolioID: Int? = nil, maxPositions: Int? = nil, requireApproval: Bool? = nil,
                useGoals: Bool? = nil) {
        self.useGoals = useGoals
        self.clientID = clientID
        self.accountHash = accountHash
        self.portfolioID = portfolioID
        self.maxPositions = maxPositions
        self.requireApproval = requireApproval
    }
}
