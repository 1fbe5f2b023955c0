import FluentKit
import KeelCore

/// Model portfolio 4, `rl-policy`: rebalances to the deployed RL policy's weights.
struct M020_SeedRLPolicyPortfolio: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let definition = ModelPortfolioDefinition.rlPolicy
        guard try await ModelPortfolioModel.find(definition.id, on: database) == nil else { return }
        let portfolio = ModelPortfolioModel()
        portfolio.id = definition.id
        portfolio.name = definition.name
        portfolio.strategy = definition.strategy.rawValue
        portfolio.riskLevel = definition.riskLevel
        portfolio.description = definition.description
        portfolio.universe = definition.universe
        try await portfolio.create(on: database)
    }

    func revert(on database: any Database) async throws {
        try await ModelPortfolioModel.find(ModelPortfolioDefinition.rlPolicy.id, on: database)?.delete(on: database)
    }
}
