import FluentKit
import SQLKit

/// Login throttling (failures per user and per address, with the time until which logins are refused) and
/// case-insensitive unique user ids.
struct M016_HardenLogins: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("login_throttles")
            .field("throttle_key", .string, .identifier(auto: false))
            .field("failures", .int, .required)
            .field("last_failure_at", .datetime, .required)
            .field("locked_until", .datetime)
            .create()
        try await (database as! any SQLDatabase).raw("CREATE UNIQUE INDEX uq_users_user_id_folded ON users (lower(user_id))").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX uq_users_user_id_folded").run()
        try await database.schema("login_throttles").delete()
    }
}
