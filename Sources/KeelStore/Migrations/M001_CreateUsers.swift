import FluentKit

struct M001_CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("users")
            .field("user_id", .string, .identifier(auto: false))
            .field("password_hash", .string, .required)
            .field("role", .string, .required)
            .field("display_name", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("user_tokens")
            .field("token_hash", .string, .identifier(auto: false))
            .field("user_id", .string, .required, .references("users", "user_id", onDelete: .cascade))
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex("idx_user_tokens_user", on: "user_tokens", columns: ["user_id"])
    }

    func revert(on database: any Database) async throws {
        try await database.schema("user_tokens").delete()
        try await database.schema("users").delete()
    }
}
