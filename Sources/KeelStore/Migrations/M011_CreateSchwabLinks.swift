import FluentKit

/// Schwab OAuth: encrypted tokens per client login, single-use authorization states, and alerts.
struct M011_CreateSchwabLinks: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("oauth_tokens")
            .field("client_id", .int, .identifier(auto: false), .references("clients", "client_id", onDelete: .cascade))
            .field("provider", .string, .required)
            .field("access_token", .string, .required)
            .field("refresh_token", .string, .required)
            .field("access_expires_at", .datetime, .required)
            .field("refresh_expires_at", .datetime, .required)
            .field("granted_at", .datetime, .required)
            .field("last_refreshed_at", .datetime)
            .field("status", .string, .required)
            .field("last_error", .string)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema("oauth_states")
            .field("state", .string, .identifier(auto: false))
            .field("client_id", .int, .required, .references("clients", "client_id", onDelete: .cascade))
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .create()
        try await database.schema("alerts")
            .field("alert_id", .int, .identifier(auto: true))
            .field("kind", .string, .required)
            .field("severity", .string, .required)
            .field("client_id", .int, .references("clients", "client_id", onDelete: .cascade))
            .field("account_hash", .string)
            .field("message", .string, .required)
            .field("created_at", .datetime, .required)
            .field("resolved_at", .datetime)
            .create()
        try await database.createIndex("idx_alerts_open", on: "alerts", columns: ["kind", "client_id", "resolved_at"])
    }

    func revert(on database: any Database) async throws {
        for table in ["alerts", "oauth_states", "oauth_tokens"] { try await database.schema(table).delete() }
    }
}
