import FluentKit
import Foundation

final class ClientPreferencesModel: Model, @unchecked Sendable {
    static let schema = "client_preferences"
    @ID(custom: "client_id", generatedBy: .user) var id: Int?
    @Parent(key: "portfolio_id") var portfolio: ModelPortfolioModel
    @Field(key: "max_positions") var maxPositions: Int
    @Field(key: "max_weight") var maxWeight: Double
    @Field(key: "cash_buffer") var cashBuffer: Double
    @Field(key: "drift_threshold") var driftThreshold: Double
    @Field(key: "excluded_symbols") var excludedSymbols: [String]
    @Field(key: "require_approval") var requireApproval: Bool
    @Field(key: "trading_mode") var tradingMode: String
    @OptionalField(key: "max_drawdown_limit") var maxDrawdownLimit: Double?
    @OptionalField(key: "drawdown_limit_set_at") var drawdownLimitSetAt: Date?
    @OptionalField(key: "max_volatility_limit") var maxVolatilityLimit: Double?
    @OptionalField(key: "derisk_action") var deriskAction: String?
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
