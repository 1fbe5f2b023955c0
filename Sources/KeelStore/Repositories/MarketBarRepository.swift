import FluentKit
import Foundation
import KeelCore
import SQLKit

public struct LatestPrice: Sendable, Hashable {
    public var symbol: String
    public var close: Double
    public var timestamp: Date
    /// The bar's traded volume (what the paper broker caps a fill against).
    public var volume: Double? = nil
    /// The instrument's asset class (raw value), when the instrument is known.
    public var assetClass: String? = nil
}

public struct StoredBar: Sendable, Hashable {
    public var symbol: String
    public var interval: String
    public var timestamp: Date
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var adjustedClose: Double?
    public var volume: Double
    public var quality: String
    public var source: String
}

public struct MarketBarRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Inserts or replaces bars keyed by (symbol, interval, ts): running twice never duplicates a row.
    /// `adjustedClose` (NaN = none) and `quality` ("ok", "warning", "quarantined") are per bar when given;
    /// `include` picks the bars to write (all when nil).
    public func upsert(_ series: BarSeries, interval: String, source: String, adjustedClose: [Double]? = nil,
                       quality: [String]? = nil, include: [Bool]? = nil) async throws {
        let columns = ["symbol", "interval", "ts", "open", "high", "low", "close", "adj_close", "volume", "source", "quality"]
        let indices = (0..<series.count).filter { include?[$0] ?? true }
        if sql.dialect.name == "postgresql" {
            try await upsertArrays(series, indices: indices, interval: interval, source: source, adjustedClose: adjustedClose, quality: quality)
            return
        }
        // 11 parameters a row: 2,000 rows stay under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
        let chunk = 2_000
        var start = 0
        while start < indices.count {
            let end = min(start + chunk, indices.count)
            var insert = sql.insert(into: "market_bars").columns(columns)
            for i in indices[start..<end] {
                let adjusted = adjustedClose.flatMap { $0[i].isNaN ? nil : $0[i] }
                let row: [any SQLExpression] = [
                    SQLBind(series.symbol), SQLBind(interval), SQLBind(series.timestamps[i]), SQLBind(series.open[i]),
                    SQLBind(series.high[i]), SQLBind(series.low[i]), SQLBind(series.close[i]), SQLBind(adjusted),
                    SQLBind(series.volume.isEmpty || series.volume[i].isNaN ? 0 : series.volume[i]), SQLBind(source),
                    SQLBind(quality?[i] ?? "ok"),
                ]
                insert = insert.values(row)
            }
            try await insert
                .onConflict(with: ["symbol", "interval", "ts"]) { conflict in
                    conflict.set(excludedValueOf: "open").set(excludedValueOf: "high").set(excludedValueOf: "low")
                        .set(excludedValueOf: "close").set(excludedValueOf: "adj_close").set(excludedValueOf: "volume")
                        .set(excludedValueOf: "source").set(excludedValueOf: "quality")
                }
                .run()
            start = end
        }
    }

    /// PostgreSQL: one statement per 20,000 bars with a column per array parameter (`unnest`), instead of eleven
    /// bound parameters a row: the server parses and plans once per chunk, and the binary arrays cost a fraction of
    /// the per-parameter encoding. Same upsert semantics as the multi-row form.
    ///
    /// A series with no stored bar yet (the common case of an import) is inserted without the conflict arbitration,
    /// which is a third of the statement's cost, inside a savepoint: a duplicate after all (a repeated time in the
    /// file, or another writer that stored the series meanwhile) rolls back to it and the chunk is upserted instead.
    /// Runs inside the caller's write transaction (savepoints need one).
    private func upsertArrays(_ series: BarSeries, indices: [Int], interval: String, source: String, adjustedClose: [Double]?,
                              quality: [String]?) async throws {
        let chunk = 20_000
        var start = 0
        var fresh = false
        if !indices.isEmpty {
            fresh = try await sql.raw("""
                SELECT 1 AS found FROM market_bars WHERE symbol = \(bind: series.symbol) AND interval = \(bind: interval) LIMIT 1
                """).first() == nil
        }
        while start < indices.count {
            let slice = indices[start..<min(start + chunk, indices.count)]
            // NaN marks "no adjusted close" (arrays carry no NULLs here) and becomes NULL in the statement.
            let adjusted = slice.map { i in adjustedClose.map { $0[i].isFinite ? $0[i] : .nan } ?? .nan }
            let volume = slice.map { i in series.volume.isEmpty || series.volume[i].isNaN ? 0 : series.volume[i] }
            let rows: SQLQueryString = """
                INSERT INTO market_bars (symbol, interval, ts, open, high, low, close, adj_close, volume, source, quality)
                SELECT \(bind: series.symbol), \(bind: interval), u.ts, u.o, u.h, u.l, u.c, NULLIF(u.a, 'NaN'::float8), u.v, \(bind: source), u.q
                FROM unnest(\(bind: slice.map { series.timestamps[$0] })::timestamptz[], \(bind: slice.map { series.open[$0] })::float8[],
                            \(bind: slice.map { series.high[$0] })::float8[], \(bind: slice.map { series.low[$0] })::float8[],
                            \(bind: slice.map { series.close[$0] })::float8[], \(bind: adjusted)::float8[], \(bind: volume)::float8[],
                            \(bind: slice.map { quality?[$0] ?? "ok" })::text[]) AS u(ts, o, h, l, c, a, v, q)
                """
            start += chunk
            if fresh {
                try await sql.raw("SAVEPOINT fresh_bars").run()
                do {
                    try await sql.raw(rows).run()
                    try await sql.raw("RELEASE SAVEPOINT fresh_bars").run()
                    continue
                } catch {
                    guard case StoreError.duplicate = StoreError.translate(error) else { throw error }
                    try await sql.raw("ROLLBACK TO SAVEPOINT fresh_bars").run()
                }
            }
            try await sql.raw("""
                \(rows)
                ON CONFLICT (symbol, interval, ts) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
                    close = EXCLUDED.close, adj_close = EXCLUDED.adj_close, volume = EXCLUDED.volume, source = EXCLUDED.source,
                    quality = EXCLUDED.quality
                """).run()
        }
    }

    /// The newest and oldest stored bar of a symbol, for incremental updates and backfills.
    public func bounds(symbol: String, interval: String) async throws -> (first: StoredBar, last: StoredBar)? {
        let columns = Self.columns.joined(separator: ", ")
        let rows = try await sql.raw("""
            SELECT * FROM (SELECT \(unsafeRaw: columns) FROM market_bars WHERE symbol = \(bind: symbol) AND interval = \(bind: interval)
                           ORDER BY ts LIMIT 1) AS oldest
            UNION ALL
            SELECT * FROM (SELECT \(unsafeRaw: columns) FROM market_bars WHERE symbol = \(bind: symbol) AND interval = \(bind: interval)
                           ORDER BY ts DESC LIMIT 1) AS newest
            """).all().map(Self.stored)
        guard let first = rows.min(by: { $0.timestamp < $1.timestamp }), let last = rows.max(by: { $0.timestamp < $1.timestamp }) else { return nil }
        return (first, last)
    }

    static let columns = ["symbol", "interval", "ts", "open", "high", "low", "close", "adj_close", "volume", "quality", "source"]

    static func stored(_ row: any SQLRow) throws -> StoredBar {
        StoredBar(symbol: try row.decode(column: "symbol", as: String.self), interval: try row.decode(column: "interval", as: String.self),
                  timestamp: try row.decode(column: "ts", as: Date.self), open: try row.decode(column: "open", as: Double.self),
                  high: try row.decode(column: "high", as: Double.self), low: try row.decode(column: "low", as: Double.self),
                  close: try row.decode(column: "close", as: Double.self), adjustedClose: try row.decode(column: "adj_close", as: Double?.self),
                  volume: try row.decode(column: "volume", as: Double.self), quality: try row.decode(column: "quality", as: String.self),
                  source: try row.decode(column: "source", as: String.self))
    }

    /// Bars of one symbol in a time range, oldest first, with their quality flags.
    public func bars(symbol: String, interval: String, from: Date?, to: Date?, limit: Int) async throws -> [StoredBar] {
        // Plain SQL rows: a chart or the indicators read hundreds of bars, and decoding a Fluent model per bar
        // (reflection over its fields) cost more than the query.
        var query = sql.select().columns(Self.columns.map { SQLIdentifier($0) })
            .from("market_bars").where("symbol", .equal, symbol).where("interval", .equal, interval)
        if let from { query = query.where("ts", .greaterThanOrEqual, from) }
        if let to { query = query.where("ts", .lessThanOrEqual, to) }
        return try await query.orderBy("ts").limit(limit).all().map(Self.stored)
    }

    /// Symbols with stored bars of an interval.
    public func symbols(interval: String) async throws -> [String] {
        try await sql.raw("SELECT DISTINCT symbol FROM market_bars WHERE interval = \(bind: interval) ORDER BY symbol").all()
            .map { try $0.decode(column: "symbol", as: String.self) }
    }


    /// Bars of `symbols` from `since` on, oldest first, one columnar series per symbol that has any.
    public func history(symbols: [String], interval: String = "1d", since: Date) async throws -> [BarSeries] {
        guard !symbols.isEmpty else { return [] }
        // Plain SQL rows, not Fluent models: decoding a model per bar (reflection over its fields) cost more than
        // the query; the autonomous cycle reads thousands of bars per account.
        let rows = try await sql.select().columns("symbol", "ts", "open", "high", "low", "close", "volume").from("market_bars")
            .where("symbol", .in, symbols).where("interval", .equal, interval).where("ts", .greaterThanOrEqual, since)
            .where("quality", .notEqual, "quarantined")
            .orderBy("symbol").orderBy("ts").all()
        var out: [String: BarSeries] = [:]
        for row in rows {
            let symbol = try row.decode(column: "symbol", as: String.self)
            out[symbol, default: BarSeries(symbol: symbol)]
                .append(timestamp: try row.decode(column: "ts", as: Date.self), open: try row.decode(column: "open", as: Double.self),
                        high: try row.decode(column: "high", as: Double.self), low: try row.decode(column: "low", as: Double.self),
                        close: try row.decode(column: "close", as: Double.self), volume: try row.decode(column: "volume", as: Double.self))
        }
        return symbols.compactMap { out[$0] }
    }

    /// The time of the newest stored bar of any symbol (data freshness), nil when there is none.
    public func newestBarTime() async throws -> Date? {
        let row = try await sql.raw("SELECT MAX(ts) AS latest FROM market_bars").first()
        return try row.flatMap { try $0.decodeNil(column: "latest") ? nil : $0.decode(column: "latest", as: Date.self) }
    }

    /// The close of the newest bar of `symbol` strictly before `time` (quarantined bars left out), nil when none.
    public func close(symbol: String, before time: Date, interval: String = "1d") async throws -> Double? {
        try await sql.select().column("close").from("market_bars").where("symbol", .equal, symbol).where("interval", .equal, interval)
            .where("ts", .lessThan, time).where("quality", .notEqual, "quarantined")
            .orderBy("ts", .descending).limit(1).first()?.decode(column: "close", as: Double.self)
    }

    /// The most recent close of each symbol that has bars.
    public func latestPrices(symbols: [String], interval: String = "1d") async throws -> [String: LatestPrice] {
        guard !symbols.isEmpty else { return [:] }
        // PostgreSQL: one backward step down the (symbol, interval, ts) index per symbol (LATERAL … LIMIT 1) instead
        // of grouping every stored bar of the symbols; this read runs several times per account and cycle step.
        // SQLite has no LATERAL: the grouped form below.
        let rows = sql.dialect.name == "postgresql" ? try await sql.raw("""
            SELECT b.symbol, b.close, b.ts, b.volume, i.asset_class FROM unnest(\(bind: Array(Set(symbols)))::text[]) AS s(symbol)
            CROSS JOIN LATERAL (SELECT symbol, close, ts, volume FROM market_bars
                                WHERE symbol = s.symbol AND interval = \(bind: interval) AND quality <> 'quarantined'
                                ORDER BY ts DESC LIMIT 1) b
            LEFT JOIN instruments i ON i.symbol = b.symbol
            """).all() : try await sql.raw("""
            SELECT b.symbol, b.close, b.ts, b.volume, i.asset_class FROM market_bars b
            JOIN (SELECT symbol, MAX(ts) AS ts FROM market_bars WHERE interval = \(bind: interval) AND quality <> 'quarantined'
                  AND symbol IN (\(binds: symbols)) GROUP BY symbol) m
              ON b.symbol = m.symbol AND b.ts = m.ts
            LEFT JOIN instruments i ON i.symbol = b.symbol
            WHERE b.interval = \(bind: interval)
            """).all()
        var out: [String: LatestPrice] = [:]
        for row in rows {
            let symbol = try row.decode(column: "symbol", as: String.self)
            out[symbol] = LatestPrice(symbol: symbol, close: try row.decode(column: "close", as: Double.self),
                                      timestamp: try row.decode(column: "ts", as: Date.self), volume: try row.decode(column: "volume", as: Double?.self),
                                      assetClass: try row.decode(column: "asset_class", as: String?.self))
        }
        return out
    }

    public func count(symbol: String? = nil) async throws -> Int {
        var query = sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("market_bars")
        if let symbol { query = query.where("symbol", .equal, symbol) }
        return try await query.first()?.decode(column: "n", as: Int.self) ?? 0
    }
}

extension Session {
    public var marketBars: MarketBarRepository { MarketBarRepository(database: database) }
}
