import FluentKit

/// The tax lot ledger: the lots each account holds (what they cost, since when they count as held, any wash-sale
/// addition) and every lot's part of every sale (proceeds, basis, term, disallowed loss), by client and tax year.
struct M030_TaxLots: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("tax_lots")
            .field("lot_id", .string, .identifier(auto: false))
            .field("account_hash", .string, .required)
            .field("symbol", .string, .required)
            .field("acquired_on", .string, .required)
            .field("held_since", .string, .required)
            .field("quantity", .ledgerDecimal, .required)
            .field("cost_basis", .ledgerDecimal, .required)
            .field("basis_known", .bool, .required)
            .field("replacement_shares", .ledgerDecimal, .required)
            .field("wash_adjustment", .ledgerDecimal, .required)
            .field("opened_by", .string, .required)
            .create()
        try await database.createIndex("ix_tax_lots_account_symbol", on: "tax_lots", columns: ["account_hash", "symbol"])
        try await database.schema("realized_lots")
            .field("realized_id", .string, .identifier(auto: false))
            .field("sale_id", .string, .required)
            .field("account_hash", .string, .required)
            .field("client_id", .int, .required)
            .field("lot_id", .string, .required)
            .field("symbol", .string, .required)
            .field("quantity", .ledgerDecimal, .required)
            .field("acquired_on", .string, .required)
            .field("sold_on", .string, .required)
            .field("tax_year", .int, .required)
            .field("proceeds", .ledgerDecimal, .required)
            .field("cost_basis", .ledgerDecimal, .required)
            .field("basis_known", .bool, .required)
            .field("term", .string, .required)
            .field("wash_disallowed", .ledgerDecimal, .required)
            .field("unmatched_loss_shares", .ledgerDecimal, .required)
            .create()
        try await database.createIndex("ix_realized_lots_client_year", on: "realized_lots", columns: ["client_id", "tax_year"])
        try await database.createIndex("ix_realized_lots_account_sold", on: "realized_lots", columns: ["account_hash", "sold_on"])
        // Securities the advisor marks substantially identical for the wash-sale rule: one row per member.
        try await database.schema("identical_securities")
            .field("symbol", .string, .identifier(auto: false))
            .field("group_key", .string, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("identical_securities").delete()
        try await database.schema("realized_lots").delete()
        try await database.schema("tax_lots").delete()
    }
}
