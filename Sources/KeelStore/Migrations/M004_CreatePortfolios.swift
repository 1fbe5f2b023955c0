import FluentKit

struct M004_CreatePortfolios: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("model_portfolios")
            .field("portfolio_id", .int, .identifier(auto: false))
            .field("name", .string, .required)
            .field("strategy", .string, .required)
            .field("risk_level", .string, .required)
            .field("description", .string, .required)
            .field("universe", .array(of: .string), .required)
            .unique(on: "name", name: "uq_model_portfolios_name")
            .create()
        try await database.schema("client_preferences")
            .field("client_id", .int, .identifier(auto: false), .references("clients", "client_id", onDelete: .cascade))
            .field("portfolio_id", .int, .required, .references("model_portfolios", "portfolio_id", onDelete: .restrict))
            .field("max_positions", .int, .required)
            .field("max_weight", .double, .required)
            .field("cash_buffer", .double, .required)
            .field("drift_threshold", .double, .required)
            .field("excluded_symbols", .array(of: .string), .required)
            .field("require_approval", .bool, .required)
            .field("trading_mode", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("client_preferences").delete()
        try await database.schema("model_portfolios").delete()
    }
}
