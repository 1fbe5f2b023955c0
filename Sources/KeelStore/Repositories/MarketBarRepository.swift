import FluentKit
import Foundation
import KeelCore
import SQLKit

public struct LatestPrice: Sendable, Hashable {
    public var symbol: String
    public var close: Double
    public var timestamp: Date
}

public struct MarketBarRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Inserts or replaces bars keyed by (symbol, interval, ts): running twice never duplicates a row.
    public func upsert(_ series: BarSeries, interval: String, source: String) async throws {
        let columns = ["symbol", "interval", "ts", "open", "high", "low", "close", "volume", "source"]
        // Stay well under SQLite's bound-parameter limit per statement.
        let chunk = 500
        var start = 0
        while start < series.count {
            let end = min(start + chunk, series.count)
            var insert = sql.insert(into: "market_bars").columns(columns)
            for i in start..<end {
                let row: [any SQLExpression] = [
                    SQLBind(series.symbol), SQLBind(interval), SQLBind(series.timestamps[i]), SQLBind(series.open[i]),
                    SQLBind(series.high[i]), SQLBind(series.low[i]), SQLBind(series.close[i]), SQLBind(series.volume[i]), SQLBind(source),
                ]
                insert = insert.values(row)
            }
            try await insert
                .onConflict(with: ["symbol", "interval", "ts"]) { conflict in
                    conflict.set(excludedValueOf: "open").set(excludedValueOf: "high").set(excludedValueOf: "low")
                        .set(excludedValueOf: "close").set(excludedValueOf: "volume").set(excludedValueOf: "source")
                }
                .run()
            start = end
        }
    }

    /// Bars of `symbols` from `since` on, oldest first, one columnar series per symbol that has any.
    public func history(symbols: [String], interval: String = "1d", since: Date) async throws -> [BarSeries] {
        guard !symbols.isEmpty else { return [] }
        let models = try await MarketBarModel.query(on: database)
            .filter(\.$symbol ~~ symbols).filter(\.$interval == interval).filter(\.$timestamp >= since)
            .sort(\.$symbol).sort(\.$timestamp).all()
        var out: [String: BarSeries] = [:]
        for bar in models {
            out[bar.symbol, default: BarSeries(symbol: bar.symbol)]
                .append(timestamp: bar.timestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        return symbols.compactMap { out[$0] }
    }

    /// The most recent close of each symbol that has bars.
    public func latestPrices(symbols: [String], interval: String = "1d") async throws -> [String: LatestPrice] {
        guard !symbols.isEmpty else { return [:] }
        let rows = try await sql.raw("""
            SELECT b.symbol, b.close, b.ts FROM market_bars b
            JOIN (SELECT symbol, MAX(ts) AS ts FROM market_bars WHERE interval = \(bind: interval) AND symbol IN (\(binds: symbols)) GROUP BY symbol) m
              ON b.symbol = m.symbol AND b.ts = m.ts
            WHERE b.interval = \(bind: interval)
            """).all()
        var out: [String: LatestPrice] = [:]
        for row in rows {
            let symbol = try row.decode(column: "symbol", as: String.self)
            out[symbol] = LatestPrice(symbol: symbol, close: try row.decode(column: "close", as: Double.self),
                                      timestamp: try row.decode(column: "ts", as: Date.self))
        }
        return out
    }

    public func count(symbol: String? = nil) async throws -> Int {
        var query = MarketBarModel.query(on: database)
        if let symbol { query = query.filter(\.$symbol == symbol) }
        return try await query.count()
    }
}

extension Session {
    public var marketBars: MarketBarRepository { MarketBarRepository(database: database) }
}
