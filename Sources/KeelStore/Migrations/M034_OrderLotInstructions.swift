import FluentKit

/// The lots a planned sale sells (a JSON list of lot ids), when the tax rules chose them instead of the client's lot
/// method: a harvest's loss lots, or recent shares sold first so a loss is not washed. Null: the client's method.
struct M034_OrderLotInstructions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("batch_orders").field("lot_ids", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("batch_orders").deleteField("lot_ids").update()
    }
}
