import FluentKit
import Foundation
import KeelCore
import SQLKit

/// One harvest the planner put in a batch: the loss lots its sale order sells into the substitute.
public struct TaxHarvestRecord: Sendable, Hashable {
    public var harvestID: String
    public var clientID: Int
    public var accountHash: String
    public var batchID: String
    public var saleOrderID: String
    public var symbol: String
    public var substitute: String
    /// The lots the sale realises first (the ledger sells exactly these, then the client's method for any rest).
    public var lotIDs: [String]
    public var quantity: Decimal
    /// The loss the plan expected to realise (negative) and the tax it saves at the client's rates.
    public var estimatedLoss: Decimal
    public var estimatedTaxSaved: Decimal
    public var harvestedOn: CivilDay
    public var swapBackBatchID: String?

    public init(harvestID: String, clientID: Int, accountHash: String, batchID: String, saleOrderID: String, symbol: String, substitute: String,
                lotIDs: [String], quantity: Decimal, estimatedLoss: Decimal, estimatedTaxSaved: Decimal, harvestedOn: CivilDay,
                swapBackBatchID: String? = nil) {
        self.harvestID = harvestID
        self.clientID = clientID
        self.accountHash = accountHash
        self.batchID = batchID
        self.saleOrderID = saleOrderID
        self.symbol = symbol
        self.substitute = substitute
        self.lotIDs = lotIDs
        self.quantity = quantity
        self.estimatedLoss = estimatedLoss
        self.estimatedTaxSaved = estimatedTaxSaved
        self.harvestedOn = harvestedOn
        self.swapBackBatchID = swapBackBatchID
    }
}

/// A harvest as a client's report shows it: what its batch became and the loss its sale realised.
public struct HarvestReportRow: Sendable, Hashable {
    public var harvest: TaxHarvestRecord
    public var batchStatus: String
    public var swapBackStatus: String?
    /// Realised by the sale's fills (proceeds less basis, before any wash-sale adjustment; nil: nothing filled).
    public var realizedLoss: Decimal?
}

/// Substitute pairs and harvests as SQL rows.
public struct TaxHarvestRepository: Sendable {
    let database: any Database

    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let columns = ["harvest_id", "client_id", "account_hash", "batch_id", "sale_order_id", "symbol", "substitute", "lot_ids", "quantity",
                          "estimated_loss", "estimated_tax_saved", "harvested_on", "swap_back_batch_id"]
    /// A batch whose orders reached the market (a harvest in it happened, a swap-back in it happened).
    static let tradedStatuses = ["executed", "partially_executed"]

    /// Symbol → the security bought in its place while its loss is harvested.
    public func substitutes() async throws -> [String: String] {
        let rows = try await sql.select().column("symbol").column("substitute").from("harvest_substitutes").all()
        var pairs: [String: String] = [:]
        for row in rows { pairs[try row.decode(column: "symbol", as: String.self)] = try row.decode(column: "substitute", as: String.self) }
        return pairs
    }

    /// Replaces the substitute list, serialised until the transaction ends (a PostgreSQL advisory lock; SQLite's single
    /// writer already does): two replacements at once would otherwise both delete and then collide inserting.
    public func setSubstitutes(_ pairs: [String: String], in session: Session) async throws {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-harvest-substitutes")))").all()
        }
        try await sql.delete(from: "harvest_substitutes").run()
        try await sql.insertRows(into: "harvest_substitutes", columns: ["symbol", "substitute"], pairs.sorted { $0.key < $1.key }) {
            [SQLBind($0.key), SQLBind($0.value)]
        }
    }

    public func insert(_ harvests: [TaxHarvestRecord]) async throws {
        try await sql.insertRows(into: "tax_harvests", columns: Self.columns, harvests) { harvest in
            [SQLBind(harvest.harvestID), SQLBind(harvest.clientID), SQLBind(harvest.accountHash), SQLBind(harvest.batchID), SQLBind(harvest.saleOrderID),
             SQLBind(harvest.symbol), SQLBind(harvest.substitute), SQLBind(Self.lotIDsText(harvest.lotIDs)), SQLBind(harvest.quantity),
             SQLBind(harvest.estimatedLoss), SQLBind(harvest.estimatedTaxSaved), SQLBind(harvest.harvestedOn.description),
             SQLBind(harvest.swapBackBatchID)]
        }
    }

    /// Names the batch that swaps these harvests back (a later plan that supersedes it names its own).
    public func markSwapBack(harvestIDs: [String], batchID: String) async throws {
        guard !harvestIDs.isEmpty else { return }
        try await sql.update("tax_harvests").set("swap_back_batch_id", to: batchID).where("harvest_id", .in, harvestIDs).run()
    }

    /// The harvests in force in these accounts: their batch traded, and no swap-back batch has.
    public func inForce(accountHashes: [String]) async throws -> [String: [TaxHarvestRecord]] {
        guard !accountHashes.isEmpty else { return [:] }
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns.map { "h.\($0)" }.joined(separator: ", ")) FROM tax_harvests h
            WHERE h.account_hash IN (\(binds: accountHashes))
              AND EXISTS (SELECT 1 FROM trade_batches b WHERE b.batch_id = h.batch_id AND b.status IN (\(binds: Self.tradedStatuses)))
              AND NOT EXISTS (SELECT 1 FROM trade_batches s WHERE s.batch_id = h.swap_back_batch_id AND s.status IN (\(binds: Self.tradedStatuses)))
            ORDER BY h.harvested_on, h.harvest_id
            """).all()
        var found: [String: [TaxHarvestRecord]] = [:]
        for row in rows {
            let record = try Self.record(row)
            found[record.accountHash, default: []].append(record)
        }
        return found
    }

    /// The lots each of these sale orders must sell first (only orders that harvest have any).
    public func lotInstructions(saleOrderIDs: [String]) async throws -> [String: [String]] {
        var instructions: [String: [String]] = [:]
        // In slices, so no statement passes either database's bound-parameter limit.
        for start in stride(from: 0, to: saleOrderIDs.count, by: 1_000) {
            let slice = Array(saleOrderIDs[start..<min(start + 1_000, saleOrderIDs.count)])
            let rows = try await sql.select().column("sale_order_id").column("lot_ids").from("tax_harvests").where("sale_order_id", .in, slice).all()
            for row in rows {
                instructions[try row.decode(column: "sale_order_id", as: String.self)] = try Self.lotIDs(try row.decode(column: "lot_ids", as: String.self))
            }
        }
        return instructions
    }

    /// A client's harvests planned in a tax year, with what their batches became and the losses their sales realised
    /// (two statements; the sums are taken here, exactly, not by the database's arithmetic).
    public func report(clientID: Int, year: Int) async throws -> [HarvestReportRow] {
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: Self.columns.map { "h.\($0)" }.joined(separator: ", ")), b.status AS batch_status, s.status AS swap_back_status
            FROM tax_harvests h JOIN trade_batches b ON b.batch_id = h.batch_id
            LEFT JOIN trade_batches s ON s.batch_id = h.swap_back_batch_id
            WHERE h.client_id = \(bind: clientID) AND h.harvested_on >= \(bind: "\(year)-01-01") AND h.harvested_on <= \(bind: "\(year)-12-31")
            ORDER BY h.harvested_on, h.harvest_id
            """).all()
        let harvests = try rows.map { row in
            (try Self.record(row), try row.decode(column: "batch_status", as: String.self), try row.decode(column: "swap_back_status", as: String?.self))
        }
        guard !harvests.isEmpty else { return [] }
        let parts = try await sql.raw("""
            SELECT f.order_id, r.proceeds, r.cost_basis FROM realized_lots r JOIN fills f ON f.fill_id = r.sale_id
            WHERE f.order_id IN (\(binds: harvests.map(\.0.saleOrderID))) AND r.basis_known = \(bind: true)
            """).all()
        var realized: [String: Decimal] = [:]
        for part in parts {
            realized[try part.decode(column: "order_id", as: String.self), default: 0] +=
                try part.decode(column: "proceeds", as: Decimal.self) - part.decode(column: "cost_basis", as: Decimal.self)
        }
        return harvests.map { HarvestReportRow(harvest: $0.0, batchStatus: $0.1, swapBackStatus: $0.2, realizedLoss: realized[$0.0.saleOrderID]) }
    }

    /// The lot ids as a JSON array (an id may hold any character).
    static func lotIDsText(_ ids: [String]) -> String {
        (try? String(decoding: JSONEncoder().encode(ids), as: UTF8.self)) ?? "[]"
    }

    static func lotIDs(_ text: String, column: String = "tax_harvests.lot_ids") throws -> [String] {
        do { return try JSONDecoder().decode([String].self, from: Data(text.utf8)) } catch {
            throw StoreError.corrupt("\(column) \(text.prefix(80)) is not a JSON list of lot ids")
        }
    }

    static func record(_ row: any SQLRow) throws -> TaxHarvestRecord {
        TaxHarvestRecord(harvestID: try row.decode(column: "harvest_id", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
                         accountHash: try row.decode(column: "account_hash", as: String.self), batchID: try row.decode(column: "batch_id", as: String.self),
                         saleOrderID: try row.decode(column: "sale_order_id", as: String.self), symbol: try row.decode(column: "symbol", as: String.self),
                         substitute: try row.decode(column: "substitute", as: String.self),
                         lotIDs: try lotIDs(try row.decode(column: "lot_ids", as: String.self)),
                         quantity: try row.decode(column: "quantity", as: Decimal.self),
                         estimatedLoss: try row.decode(column: "estimated_loss", as: Decimal.self),
                         estimatedTaxSaved: try row.decode(column: "estimated_tax_saved", as: Decimal.self),
                         harvestedOn: try TaxLotRepository.day(row, "harvested_on"),
                         swapBackBatchID: try row.decode(column: "swap_back_batch_id", as: String?.self))
    }
}

extension Session {
    public var taxHarvests: TaxHarvestRepository { TaxHarvestRepository(database: database) }
}
