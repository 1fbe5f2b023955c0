import FluentKit
import Foundation
import SQLKit

/// The whole book at a glance (the workspace's overview): counts and sums over every client, in a few queries.
public struct BookTotals: Sendable, Hashable {
    public var activeClients: Int
    public var activeAccounts: Int
    public var cash: Double
    /// Quantity held per symbol across every account.
    public var holdings: [String: Double]
    public var batchesAwaitingApproval: Int
    public var openAlerts: Int
}

public struct BookRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func totals() async throws -> BookTotals {
        // Sums are cast to DOUBLE PRECISION: NUMERIC on PostgreSQL, REAL on SQLite, one Swift type for both.
        let row = try await sql.raw("""
            SELECT (SELECT COUNT(*) FROM clients WHERE status = 'active') AS clients,
                   (SELECT COUNT(*) FROM brokerage_accounts WHERE status = 'active') AS accounts,
                   (SELECT CAST(COALESCE(SUM(cash), 0) AS DOUBLE PRECISION) FROM brokerage_accounts WHERE status = 'active') AS cash,
                   (SELECT COUNT(*) FROM trade_batches WHERE status = 'pending_approval') AS waiting,
                   (SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL) AS alerts
            """).first()
        var holdings: [String: Double] = [:]
        for position in try await sql.raw("""
            SELECT symbol, CAST(SUM(quantity) AS DOUBLE PRECISION) AS quantity FROM positions GROUP BY symbol
            """).all() {
            holdings[try position.decode(column: "symbol", as: String.self)] = try position.decode(column: "quantity", as: Double?.self) ?? 0
        }
        return BookTotals(activeClients: try row?.decode(column: "clients", as: Int.self) ?? 0,
                          activeAccounts: try row?.decode(column: "accounts", as: Int.self) ?? 0,
                          cash: try row?.decode(column: "cash", as: Double?.self) ?? 0, holdings: holdings,
                          batchesAwaitingApproval: try row?.decode(column: "waiting", as: Int.self) ?? 0,
                          openAlerts: try row?.decode(column: "alerts", as: Int.self) ?? 0)
    }
}

extension BookRepository {
    /// Per client: active accounts, their cash and the quantity held per symbol.
    public func clientValues(clientIDs: [Int]) async throws -> [Int: (accounts: Int, cash: Double, holdings: [String: Double])] {
        guard !clientIDs.isEmpty else { return [:] }
        var out: [Int: (accounts: Int, cash: Double, holdings: [String: Double])] = [:]
        for row in try await sql.raw("""
            SELECT client_id, COUNT(*) AS n, CAST(COALESCE(SUM(cash), 0) AS DOUBLE PRECISION) AS cash FROM brokerage_accounts
            WHERE status = 'active' AND client_id IN (\(binds: clientIDs)) GROUP BY client_id
            """).all() {
            out[try row.decode(column: "client_id", as: Int.self)] = (try row.decode(column: "n", as: Int.self), try row.decode(column: "cash", as: Double?.self) ?? 0, [:])
        }
        for row in try await sql.raw("""
            SELECT client_id, symbol, CAST(SUM(quantity) AS DOUBLE PRECISION) AS quantity FROM positions
            WHERE client_id IN (\(binds: clientIDs)) GROUP BY client_id, symbol
            """).all() {
            let id = try row.decode(column: "client_id", as: Int.self)
            out[id, default: (0, 0, [:])].holdings[try row.decode(column: "symbol", as: String.self)] = try row.decode(column: "quantity", as: Double?.self) ?? 0
        }
        return out
    }
}

extension Session {
    public var book: BookRepository { BookRepository(database: database) }
}
