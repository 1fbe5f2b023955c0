import FluentKit
import SQLKit

/// The market-data pipeline: run records, data-quality issues, point-in-time fundamentals, and a quality
/// flag on bars (quarantined bars stay out of models and strategies).
struct M010_CreateMarketDataPipeline: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await (database as! any SQLDatabase).alter(table: "market_bars")
            .column("quality", type: .text, .notNull, .default(SQLLiteral.string("ok"))).run()
        try await database.createIndex("idx_market_bars_symbol_interval_quality", on: "market_bars", columns: ["symbol", "interval", "quality"])

        try await database.schema("pipeline_runs")
            .field("run_id", .string, .identifier(auto: false))
            .field("mode", .string, .required)
            .field("status", .string, .required)
            .field("source", .string, .required)
            .field("parameters", .string, .required)
            .field("symbols", .array(of: .string), .required)
            .field("cursor", .int, .required)
            .field("symbol_counts", .string, .required)
            .field("bars_fetched", .int, .required)
            .field("bars_stored", .int, .required)
            .field("bars_rejected", .int, .required)
            .field("bars_quarantined", .int, .required)
            .field("issues_found", .int, .required)
            .field("error", .string)
            .field("started_by", .string, .required)
            .field("started_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("finished_at", .datetime)
            .create()

        try await database.schema("data_quality_issues")
            .field("issue_id", .int, .identifier(auto: true))
            .field("run_id", .string, .references("pipeline_runs", "run_id", onDelete: .setNull))
            .field("symbol", .string, .required)
            .field("interval", .string, .required)
            .field("ts", .datetime, .required)
            .field("kind", .string, .required)
            .field("severity", .string, .required)
            .field("action", .string, .required)
            .field("detail", .string, .required)
            .field("detected_at", .datetime, .required)
            .unique(on: "symbol", "interval", "ts", "kind", name: "uq_data_quality_issues_bar_kind")
            .create()
        try await database.createIndex("idx_data_quality_issues_symbol", on: "data_quality_issues", columns: ["symbol", "severity"])

        try await database.schema("fundamentals")
            .field("fundamental_id", .int, .identifier(auto: true))
            .field("symbol", .string, .required)
            .field("as_of", .datetime, .required)
            .field("name", .string)
            .field("sector", .string)
            .field("sub_industry", .string)
            .field("price", .double)
            .field("pe_ratio", .double)
            .field("dividend_yield", .double)
            .field("eps", .double)
            .field("week52_low", .double)
            .field("week52_high", .double)
            .field("market_cap", .double)
            .field("ebitda", .double)
            .field("price_to_sales", .double)
            .field("price_to_book", .double)
            .field("source", .string, .required)
            .unique(on: "symbol", "as_of", name: "uq_fundamentals_symbol_as_of")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("fundamentals").delete()
        try await database.schema("data_quality_issues").delete()
        try await database.schema("pipeline_runs").delete()
    }
}
