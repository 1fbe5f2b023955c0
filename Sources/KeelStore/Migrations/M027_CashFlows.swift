import FluentKit

/// External cash flows (deposits and withdrawals) per account, and the time-weighted NAV they make possible:
/// `account_performance.net_flow` is the flow booked since the previous row, `unit_value` the account's value had
/// no money come in or gone out since its first row. Drawdown and returns are judged on the unit value, so a
/// withdrawal is not a loss and a deposit is not a gain. Rows from before this migration had no flows, so their
/// unit value is their value (read as such when null).
struct M027_CashFlows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("account_cash_flows")
            .field("flow_id", .string, .identifier(auto: false))
            .field("account_hash", .string, .required)
            .field("client_id", .int, .required)
            .field("day", .string, .required)
            .field("amount", .ledgerDecimal, .required)
            .field("note", .string)
            .field("recorded_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex("ix_account_cash_flows_booked", on: "account_cash_flows", columns: ["account_hash", "created_at"])
        try await database.schema("account_performance").field("net_flow", .double).update()
        try await database.schema("account_performance").field("unit_value", .double).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("account_performance").deleteField("unit_value").update()
        try await database.schema("account_performance").deleteField("net_flow").update()
        try await database.schema("account_cash_flows").delete()
    }
}
