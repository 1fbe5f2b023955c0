import FluentKit

/// When a client's drawdown limit was last set: the account's high-water mark counts from that day, so a limit
/// judges the losses made under it, and a peak never ages out of a window.
struct M026_DrawdownLimitStart: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("client_preferences").field("drawdown_limit_set_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("client_preferences").deleteField("drawdown_limit_set_at").update()
    }
}
