import FluentKit
import Foundation
import SQLKit

/// `account_performance`: one row per account and day, written by the cycle's performance step.
public struct PerformanceRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Stores the day's row; a second write of the same day (a resumed step) replaces it.
    public func record(_ day: AccountPerformanceRecord) async throws {
        try await record([day])
    }


    /// The account's last `limit` days, oldest first.
    public func history(accountHash: String, limit: Int) async throws -> [AccountPerformanceRecord] {
        try await sql.select().column("*").from("account_performance").where("account_hash", .equal, accountHash)
            .orderBy("day", .descending).limit(limit).all().map(Self.record).reversed()
    }


    /// Stores many accounts' rows of a day: one multi-row upsert (see `record`).
    public func record(_ days: [AccountPerformanceRecord]) async throws {
        for start in stride(from: 0, to: days.count, by: 200) {
            var insert = sql.insert(into: "account_performance")
                .columns("account_hash", "client_id", "day", "strategy", "portfolio_value", "daily_return", "benchmark_close", "benchmark_return",
                         "cycle_id", "recorded_at", "net_flow", "unit_value")
            for day in days[start..<min(start + 200, days.count)] {
                insert = insert.values(SQLBind(day.accountHash), SQLBind(day.clientID), SQLBind(day.day), SQLBind(day.strategy), SQLBind(day.portfolioValue),
                                       SQLBind(day.dailyReturn), SQLBind(day.benchmarkClose), SQLBind(day.benchmarkReturn), SQLBind(day.cycleID),
                                       SQLBind(day.recordedAt), SQLBind(day.netFlow), SQLBind(day.unitValue))
            }
            try await insert.onConflict(with: ["account_hash", "day"]) { conflict in
                conflict.set(excludedValueOf: "strategy").set(excludedValueOf: "portfolio_value").set(excludedValueOf: "daily_return")
                    .set(excludedValueOf: "benchmark_close").set(excludedValueOf: "benchmark_return").set(excludedValueOf: "cycle_id")
                    .set(excludedValueOf: "recorded_at").set(excludedValueOf: "net_flow").set(excludedValueOf: "unit_value")
            }.run()
        }
    }

    /// `peakUnitValue` of many accounts in one query (accounts without rows are absent).
    public func peakUnitValues(accountHashes: [String], since day: String?) async throws -> [String: Double] {
        guard !accountHashes.isEmpty else { return [:] }
        let unit = SQLFunction("COALESCE", args: SQLIdentifier("unit_value"), SQLIdentifier("portfolio_value"))
        var query = sql.select().column("account_hash").column(SQLFunction("MAX", args: unit), as: "peak").from("account_performance")
            .where("account_hash", .in, accountHashes)
        if let day { query = query.where("day", .greaterThanOrEqual, day) }
        var peaks: [String: Double] = [:]
        for row in try await query.groupBy("account_hash").all() {
            if let peak = try row.decode(column: "peak", as: Double?.self) { peaks[try row.decode(column: "account_hash", as: String.self)] = peak }
        }
        return peaks
    }

    /// The last `limit` days of many accounts (before `day` when given), oldest first, in one query.
    public func histories(accountHashes: [String], before day: String? = nil, limit: Int) async throws -> [String: [AccountPerformanceRecord]] {
        guard !accountHashes.isEmpty, limit > 0 else { return [:] }
        let dayFilter: SQLQueryString = day.map { "AND day < \(bind: $0)" } ?? ""
        let rows = try await sql.raw("""
            SELECT * FROM (SELECT p.*, ROW_NUMBER() OVER (PARTITION BY account_hash ORDER BY day DESC) AS keel_rank
                           FROM account_performance p WHERE account_hash IN (\(binds: accountHashes)) \(dayFilter)) ranked
            WHERE keel_rank <= \(bind: limit) ORDER BY account_hash, day
            """).all().map(Self.record)
        return Dictionary(grouping: rows, by: \.accountHash)
    }

    static func record(_ row: any SQLRow) throws -> AccountPerformanceRecord {
        AccountPerformanceRecord(accountHash: try row.decode(column: "account_hash", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
                                 day: try row.decode(column: "day", as: String.self), strategy: try row.decode(column: "strategy", as: String.self),
                                 portfolioValue: try row.decode(column: "portfolio_value", as: Double.self),
                                 dailyReturn: try row.decode(column: "daily_return", as: Double?.self),
                                 benchmarkClose: try row.decode(column: "benchmark_close", as: Double?.self),
                                 benchmarkReturn: try row.decode(column: "benchmark_return", as: Double?.self),
                                 cycleID: try row.decode(column: "cycle_id", as: String?.self), recordedAt: try row.decode(column: "recorded_at", as: Date.self),
                                 netFlow: try row.decode(column: "net_flow", as: Double?.self) ?? 0,
                                 unitValue: try row.decode(column: "unit_value", as: Double?.self))
    }
}

extension Session {
    public var performance: PerformanceRepository { PerformanceRepository(database: database) }
}
