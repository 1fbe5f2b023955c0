import FluentKit

struct M007_CreateOperations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("audit_log")
            .field("audit_id", .int, .identifier(auto: true))
            .field("at", .datetime, .required)
            .field("actor", .string, .required)
            .field("action", .string, .required)
            .field("entity_type", .string, .required)
            .field("entity_id", .string, .required)
            .field("client_id", .int)
            .field("details", .string, .required)
            .create()
        try await database.createIndex("idx_audit_log_entity", on: "audit_log", columns: ["entity_type", "entity_id"])

        try await database.schema("system_state")
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .create()

        try await database.schema("broker_calls")
            .field("call_id", .int, .identifier(auto: true))
            .field("at", .datetime, .required)
            .field("broker", .string, .required)
            .field("account_hash", .string, .required)
            .field("operation", .string, .required)
            .field("client_order_key", .string)
            .field("request", .string, .required)
            .field("response", .string, .required)
            .field("outcome", .string, .required)
            .field("duration_ms", .int, .required)
            .create()
        try await database.createIndex("idx_broker_calls_key", on: "broker_calls", columns: ["client_order_key"])
    }

    func revert(on database: any Database) async throws {
        for table in ["broker_calls", "system_state", "audit_log"] {
            try await database.schema(table).delete()
        }
    }
}
