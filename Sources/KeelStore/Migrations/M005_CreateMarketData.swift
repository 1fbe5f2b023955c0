import FluentKit

struct M005_CreateMarketData: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("instruments")
            .field("symbol", .string, .identifier(auto: false))
            .field("asset_class", .string, .required)
            .field("name", .string, .required)
            .field("quantity_increment", .ledgerDecimal, .required)
            .field("tradable", .bool, .required)
            .field("currency", .string, .required)
            .create()
        try await database.schema("market_bars")
            .field("bar_id", .int, .identifier(auto: true))
            .field("symbol", .string, .required, .references("instruments", "symbol", onDelete: .cascade))
            .field("interval", .string, .required)
            .field("ts", .datetime, .required)
            .field("open", .double, .required)
            .field("high", .double, .required)
            .field("low", .double, .required)
            .field("close", .double, .required)
            .field("adj_close", .double)
            .field("volume", .double, .required)
            .field("source", .string, .required)
            .unique(on: "symbol", "interval", "ts", name: "uq_market_bars_symbol_interval_ts")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("market_bars").delete()
        try await database.schema("instruments").delete()
    }
}
