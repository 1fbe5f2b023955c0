import FluentKit
import Foundation
import KeelCore
import SQLKit

/// A realised lot with the account and client it belongs to.
public struct StoredRealizedLot: Sendable, Hashable {
    public var accountHash: String
    public var clientID: Int
    public var lot: RealizedLot

    public init(accountHash: String, clientID: Int, lot: RealizedLot) {
        self.accountHash = accountHash
        self.clientID = clientID
        self.lot = lot
    }
}

/// The tax lot ledger as SQL rows: open lots per account, realised lots per client and year.
public struct TaxLotRepository: Sendable {
    let database: any Database

    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let lotColumns = ["lot_id", "account_hash", "symbol", "acquired_on", "held_since", "quantity", "cost_basis", "basis_known",
                             "replacement_shares", "wash_adjustment", "opened_by"]

    /// The open lots of the accounts, oldest purchase first (the order the ledger opened them).
    public func lots(accountHashes: [String]) async throws -> [String: [TaxLot]] {
        guard !accountHashes.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.lotColumns.map { SQLIdentifier($0) }).from("tax_lots").where("account_hash", .in, accountHashes)
            .orderBy("acquired_on").orderBy("lot_id").all()
        var lots: [String: [TaxLot]] = [:]
        for row in rows {
            let lot = TaxLot(lotID: try row.decode(column: "lot_id", as: String.self), symbol: try row.decode(column: "symbol", as: String.self),
                             acquiredOn: try Self.day(row, "acquired_on"), heldSince: try Self.day(row, "held_since"),
                             quantity: try row.decode(column: "quantity", as: Decimal.self), costBasis: try row.decode(column: "cost_basis", as: Decimal.self),
                             basisKnown: try row.decode(column: "basis_known", as: Bool.self),
                             replacementShares: try row.decode(column: "replacement_shares", as: Decimal.self),
                             washAdjustment: try row.decode(column: "wash_adjustment", as: Decimal.self))
            lots[try row.decode(column: "account_hash", as: String.self), default: []].append(lot)
        }
        return lots
    }

    static let realizedColumns = ["realized_id", "sale_id", "account_hash", "client_id", "lot_id", "symbol", "quantity", "acquired_on", "sold_on",
                                  "tax_year", "proceeds", "cost_basis", "basis_known", "term", "wash_disallowed", "unmatched_loss_shares"]

    /// Loss sales of the accounts since `day` whose loss a purchase may still replace (the wash-sale window).
    public func openLosses(accountHashes: [String], since day: CivilDay) async throws -> [String: [RealizedLot]] {
        guard !accountHashes.isEmpty else { return [:] }
        let rows = try await sql.select().columns(Self.realizedColumns.map { SQLIdentifier($0) }).from("realized_lots")
            .where("account_hash", .in, accountHashes).where("sold_on", .greaterThanOrEqual, day.description)
            .where("unmatched_loss_shares", .greaterThan, 0).orderBy("sold_on").orderBy("realized_id").all()
        return Dictionary(grouping: try rows.map(Self.realized), by: \.accountHash).mapValues { $0.map(\.lot) }
    }

    /// A client's realised lots of one tax year (all its accounts), by day sold.
    public func realized(clientID: Int, year: Int) async throws -> [StoredRealizedLot] {
        try await sql.select().columns(Self.realizedColumns.map { SQLIdentifier($0) }).from("realized_lots").where("client_id", .equal, clientID)
            .where("tax_year", .equal, year).orderBy("sold_on").orderBy("realized_id").all().map(Self.realized)
    }

    /// The lots' quantity per account and symbol (the reconciliation check against positions).
    public func heldQuantities(accountHashes: [String]) async throws -> [String: [String: Decimal]] {
        guard !accountHashes.isEmpty else { return [:] }
        var held: [String: [String: Decimal]] = [:]
        for (hash, lots) in try await lots(accountHashes: accountHashes) {
            for lot in lots { held[hash, default: [:]][lot.symbol, default: 0] += lot.quantity }
        }
        return held
    }

    /// Accounts that hold a position or a lot.
    public func accountsWithLotsOrPositions() async throws -> [String] {
        try await sql.raw("SELECT account_hash FROM positions UNION SELECT account_hash FROM tax_lots ORDER BY account_hash").all()
            .map { try $0.decode(column: "account_hash", as: String.self) }
    }

    /// Accounts that hold positions or have fills but no lot and no realised row: their ledger predates the lot
    /// ledger and is rebuilt from their fills.
    public func accountsWithoutLots() async throws -> [String] {
        try await sql.raw("""
            SELECT DISTINCT f.account_hash FROM fills f
            WHERE NOT EXISTS (SELECT 1 FROM tax_lots l WHERE l.account_hash = f.account_hash)
              AND NOT EXISTS (SELECT 1 FROM realized_lots r WHERE r.account_hash = f.account_hash)
            ORDER BY f.account_hash
            """).all().map { try $0.decode(column: "account_hash", as: String.self) }
    }

    /// What the ledger changed in one account: lots opened or changed, lots closed, realised rows added or changed.
    public struct Write: Sendable {
        public var accountHash: String
        public var clientID: Int
        public var lots: [TaxLot]
        public var closedLotIDs: [String]
        public var realized: [RealizedLot]

        public init(accountHash: String, clientID: Int, lots: [TaxLot], closedLotIDs: [String], realized: [RealizedLot]) {
            self.accountHash = accountHash
            self.clientID = clientID
            self.lots = lots
            self.closedLotIDs = closedLotIDs
            self.realized = realized
        }
    }

    /// Writes many accounts' changes with multi-row statements: closed lots deleted, lots upserted, realised rows upserted.
    public func save(_ writes: [Write]) async throws {
        let closed = writes.flatMap { write in Set(write.closedLotIDs).subtracting(write.lots.map(\.lotID)) }.sorted()
        for start in stride(from: 0, to: closed.count, by: 500) {
            try await sql.delete(from: "tax_lots").where("lot_id", .in, Array(closed[start..<min(start + 500, closed.count)])).run()
        }
        let lots = writes.flatMap { write in write.lots.map { (write.accountHash, $0) } }
        try await sql.insertRows(into: "tax_lots", columns: Self.lotColumns, lots, upsertOn: ["lot_id"], updating: Array(Self.lotColumns.dropFirst())) { entry in
            let (accountHash, lot) = entry
            // opened_by: the record that opened it, a fill's id (a carved replacement keeps its purchase's).
            return [SQLBind(lot.lotID), SQLBind(accountHash), SQLBind(lot.symbol), SQLBind(lot.acquiredOn.description), SQLBind(lot.heldSince.description),
                    SQLBind(lot.quantity), SQLBind(lot.costBasis), SQLBind(lot.basisKnown), SQLBind(lot.replacementShares), SQLBind(lot.washAdjustment),
                    SQLBind(String(lot.lotID.split(separator: "~").first ?? Substring(lot.lotID)))]
        }
        let realized = writes.flatMap { write in write.realized.map { (write.accountHash, write.clientID, $0) } }
        try await sql.insertRows(into: "realized_lots", columns: Self.realizedColumns, realized, upsertOn: ["realized_id"],
                                 updating: ["wash_disallowed", "unmatched_loss_shares"]) { entry in
            let (accountHash, clientID, row) = entry
            return [SQLBind(row.realizedID), SQLBind(row.saleID), SQLBind(accountHash), SQLBind(clientID), SQLBind(row.lotID), SQLBind(row.symbol),
                    SQLBind(row.quantity), SQLBind(row.acquiredOn.description), SQLBind(row.soldOn.description), SQLBind(row.taxYear), SQLBind(row.proceeds),
                    SQLBind(row.costBasis), SQLBind(row.basisKnown), SQLBind(row.term.rawValue), SQLBind(row.washDisallowed), SQLBind(row.unmatchedLossShares)]
        }
    }

    /// The advisor's substantially identical groups.
    public func identicalGroups() async throws -> SubstantiallyIdentical {
        let rows = try await sql.select().column("symbol").column("group_key").from("identical_securities").all()
        var groups: [String: [String]] = [:]
        for row in rows { groups[try row.decode(column: "group_key", as: String.self), default: []].append(try row.decode(column: "symbol", as: String.self)) }
        return SubstantiallyIdentical(groups: Array(groups.values))
    }

    /// Replaces the groups (each a list of symbols; a symbol in one group at most). Serialised until the transaction
    /// ends (a PostgreSQL advisory lock; SQLite's single writer already does): two replacements at once would
    /// otherwise both delete and then collide inserting.
    public func setIdenticalGroups(_ groups: [[String]], in session: Session) async throws {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-identical-securities")))").all()
        }
        try await sql.delete(from: "identical_securities").run()
        let rows = groups.flatMap { group -> [(String, String)] in
            let members = Array(Set(group.map { $0.uppercased() })).sorted()
            return members.map { ($0, members[0]) }
        }
        try await sql.insertRows(into: "identical_securities", columns: ["symbol", "group_key"], rows) { [SQLBind($0.0), SQLBind($0.1)] }
    }

    static func realized(_ row: any SQLRow) throws -> StoredRealizedLot {
        StoredRealizedLot(
            accountHash: try row.decode(column: "account_hash", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
            lot: RealizedLot(realizedID: try row.decode(column: "realized_id", as: String.self), saleID: try row.decode(column: "sale_id", as: String.self),
                             lotID: try row.decode(column: "lot_id", as: String.self), symbol: try row.decode(column: "symbol", as: String.self),
                             quantity: try row.decode(column: "quantity", as: Decimal.self), acquiredOn: try day(row, "acquired_on"),
                             soldOn: try day(row, "sold_on"), proceeds: try row.decode(column: "proceeds", as: Decimal.self),
                             costBasis: try row.decode(column: "cost_basis", as: Decimal.self), basisKnown: try row.decode(column: "basis_known", as: Bool.self),
                             term: HoldingTerm(rawValue: try row.decode(column: "term", as: String.self)) ?? .short,
                             washDisallowed: try row.decode(column: "wash_disallowed", as: Decimal.self),
                             unmatchedLossShares: try row.decode(column: "unmatched_loss_shares", as: Decimal.self)))
    }

    static func day(_ row: any SQLRow, _ column: String) throws -> CivilDay {
        let text = try row.decode(column: column, as: String.self)
        guard let day = DateText.day(text) else { throw StoreError.corrupt("\(column) \(text) is not a day") }
        return day
    }
}

extension Session {
    public var taxLots: TaxLotRepository { TaxLotRepository(database: database) }
}
