import FluentKit

struct M003_CreateBrokerages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("brokerages")
            .field("brokerage_id", .int, .identifier(auto: false))
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("supports_live", .bool, .required)
            .unique(on: "code", name: "uq_brokerages_code")
            .create()
        try await database.schema("brokerage_accounts")
            .field("account_id", .int, .identifier(auto: true))
            .field("account_hash", .string, .required)
            .field("client_id", .int, .required, .references("clients", "client_id", onDelete: .cascade))
            .field("brokerage_id", .int, .required, .references("brokerages", "brokerage_id", onDelete: .restrict))
            .field("account_number", .string, .required)
            .field("account_type", .string, .required)
            .field("nickname", .string)
            .field("status", .string, .required)
            .field("cash", .ledgerDecimal, .required)
            .field("currency", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "account_hash", name: "uq_brokerage_accounts_hash")
            .unique(on: "brokerage_id", "account_number", name: "uq_brokerage_accounts_number")
            .create()
        try await database.createIndex("idx_brokerage_accounts_client", on: "brokerage_accounts", columns: ["client_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("brokerage_accounts").delete()
        try await database.schema("brokerages").delete()
    }
}
