import FluentKit

/// The paper broker fills like a real one: orders may wait (market hours, limit prices) and fill in parts, so an
/// order keeps its type, limit, every fill (JSON) and when it last changed. Rows from before keep their one fill
/// in the old columns.
struct M022_PaperBrokerRealism: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("paper_broker_orders").field("order_type", .string).update()
        try await database.schema("paper_broker_orders").field("limit_price", .ledgerDecimal).update()
        try await database.schema("paper_broker_orders").field("fills", .string).update()
        try await database.schema("paper_broker_orders").field("updated_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        for field in ["updated_at", "fills", "limit_price", "order_type"] {
            try await database.schema("paper_broker_orders").deleteField(.init(stringLiteral: field)).update()
        }
    }
}
