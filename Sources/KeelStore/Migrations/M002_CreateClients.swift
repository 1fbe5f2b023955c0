import FluentKit

struct M002_CreateClients: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("clients")
            .field("client_id", .int, .identifier(auto: true))
            .field("first_name", .string, .required)
            .field("last_name", .string, .required)
            .field("email", .string, .required)
            .field("phone", .string)
            .field("date_of_birth", .string)
            .field("risk_tolerance", .string, .required)
            .field("investment_horizon_years", .int)
            .field("status", .string, .required)
            .field("user_id", .string, .references("users", "user_id", onDelete: .setNull))
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "email", name: "uq_clients_email")
            .unique(on: "user_id", name: "uq_clients_user")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("clients").delete()
    }
}
