import FluentKit

/// Tax-loss harvesting: the advisor's substitute for each security (bought in its place while its loss is harvested)
/// and every harvest the planner put in a batch: the sale order, the loss lots it sells (the ledger realises exactly
/// those), the substitute, and the batch that swapped it back.
struct M032_TaxHarvests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("harvest_substitutes")
            .field("symbol", .string, .identifier(auto: false))
            .field("substitute", .string, .required)
            .create()
        try await database.schema("tax_harvests")
            .field("harvest_id", .string, .identifier(auto: false))
            .field("client_id", .int, .required)
            .field("account_hash", .string, .required)
            .field("batch_id", .string, .required)
            .field("sale_order_id", .string, .required)
            .field("symbol", .string, .required)
            .field("substitute", .string, .required)
            .field("lot_ids", .string, .required)
            .field("quantity", .ledgerDecimal, .required)
            .field("estimated_loss", .ledgerDecimal, .required)
            .field("estimated_tax_saved", .ledgerDecimal, .required)
            .field("harvested_on", .string, .required)
            .field("swap_back_batch_id", .string)
            .create()
        try await database.createIndex("ix_tax_harvests_account", on: "tax_harvests", columns: ["account_hash"])
        try await database.createIndex("ix_tax_harvests_sale_order", on: "tax_harvests", columns: ["sale_order_id"])
        try await database.createIndex("ix_tax_harvests_client", on: "tax_harvests", columns: ["client_id", "harvested_on"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("tax_harvests").delete()
        try await database.schema("harvest_substitutes").delete()
    }
}
