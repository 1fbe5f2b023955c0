import FluentKit

/// A client's tax preferences: whether its accounts are taxable (null: by account type, individual and joint
/// accounts taxable, retirement accounts not), the rates its gains are taxed at, an optional yearly budget of net
/// realised gains, the lot method, how much tax a drift trade may cost, and tax-loss harvesting.
struct M031_TaxPreferences: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tax_preferences")
            .field("client_id", .int, .identifier(auto: false))
            .field("taxable", .bool)
            .field("short_term_rate", .ledgerDecimal, .required)
            .field("long_term_rate", .ledgerDecimal, .required)
            .field("yearly_gains_budget", .ledgerDecimal)
            .field("lot_method", .string, .required)
            .field("drift_tax_tolerance", .double, .required)
            .field("harvest", .bool, .required)
            .field("harvest_minimum_loss", .ledgerDecimal, .required)
            .field("harvest_minimum_loss_percent", .double, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tax_preferences").delete()
    }
}
