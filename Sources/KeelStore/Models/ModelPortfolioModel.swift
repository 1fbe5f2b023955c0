import FluentKit

final class ModelPortfolioModel: Model, @unchecked Sendable {
    static let schema = "model_portfolios"
    @ID(custom: "portfolio_id", generatedBy: .user) var id: Int?
    @Field(key: "name") var name: String
    @Field(key: "strategy") var strategy: String
    @Field(key: "risk_level") var riskLevel: String
    @Field(key: "description") var description: String
    @Field(key: "universe") var universe: [String]
    init() {}
}
