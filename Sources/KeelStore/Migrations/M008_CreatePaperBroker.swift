import FluentKit

struct M008_CreatePaperBroker: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("paper_broker_accounts")
            .field("account_id", .string, .identifier(auto: false), .references("brokerage_accounts", "account_hash", onDelete: .cascade))
            .field("opening_cash", .ledgerDecimal, .required)
            .field("opened_at", .datetime, .required)
            .create()
        try await database.schema("paper_broker_orders")
            .field("broker_order_id", .string, .identifier(auto: false))
            .field("account_id", .string, .required, .references("paper_broker_accounts", "account_id", onDelete: .cascade))
            .field("client_order_key", .string, .required)
            .field("symbol", .string, .required)
            .field("side", .string, .required)
            .field("quantity", .ledgerDecimal, .required)
            .field("status", .string, .required)
            .field("reject_reason", .string)
            .field("fill_id", .string)
            .field("fill_price", .ledgerDecimal)
            .field("fill_quantity", .ledgerDecimal)
            .field("commission", .ledgerDecimal, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "client_order_key", name: "uq_paper_broker_orders_key")
            .create()
        try await database.createIndex("idx_paper_broker_orders_account", on: "paper_broker_orders", columns: ["account_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("paper_broker_orders").delete()
        try await database.schema("paper_broker_accounts").delete()
    }
}
