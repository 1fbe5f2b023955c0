import Foundation
import KeelCore
import KeelStore

/// Read side of the market data: bars, indicators computed from them, quality issues, fundamentals as of a date.
public struct MarketDataQueries: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public static let maximumBars = 1_000_000

    public func bars(symbol: String, interval: String, from: Date?, to: Date?, limit: Int = maximumBars) async throws -> [StoredBar] {
        let symbol = symbol.uppercased()
        let bars = try await context.database.read { try await $0.marketBars.bars(symbol: symbol, interval: interval, from: from, to: to, limit: limit) }
        if bars.isEmpty, try await context.database.read({ try await $0.marketBars.bounds(symbol: symbol, interval: interval) }) == nil {
            throw ServiceError.notFound("bars of \(symbol) at interval \(interval)", field: "symbol")
        }
        return bars
    }

    public struct IndicatorRows: Sendable {
        public var timestamps: [Date]
        /// Columns in `IndicatorTable.columns` order, limited to the requested range.
        public var columns: [[Double]]
        public var intraday: Bool
    }

    /// Indicators over every usable (non-quarantined) bar, so warm-up is right, then cut to the range.
    public func indicators(symbol: String, interval: String, from: Date?, to: Date?) async throws -> IndicatorRows {
        let all = try await bars(symbol: symbol, interval: interval, from: nil, to: to).filter { $0.quality != "quarantined" }
        var series = BarSeries(symbol: symbol.uppercased())
        series.reserveCapacity(all.count)
        for bar in all {
            series.append(timestamp: bar.timestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume)
        }
        let table = IndicatorTable(series)
        let start = from.flatMap { date in series.timestamps.firstIndex { $0 >= date } } ?? (from == nil ? 0 : series.count)
        return IndicatorRows(timestamps: Array(series.timestamps[start...]), columns: table.values.map { Array($0[start...]) },
                             intraday: interval != "1d" && interval != "1w")
    }

    public func issues(symbol: String?, severity: String?, kind: String?, limit: Int) async throws -> [QualityIssueRecord] {
        if let severity, QualitySeverity(rawValue: severity) == nil {
            throw ServiceError.invalid("severity", "severity must be one of warning, error, critical")
        }
        if let kind, QualityIssueKind(rawValue: kind) == nil {
            throw ServiceError.invalid("kind", "kind must be one of \(QualityIssueKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try await context.database.read { try await $0.pipeline.issues(symbol: symbol?.uppercased(), severity: severity, kind: kind, limit: limit) }
    }

    public func issueCounts(symbol: String?) async throws -> [(kind: String, severity: String, count: Int)] {
        try await context.database.read { try await $0.pipeline.issueCounts(symbol: symbol?.uppercased()) }
    }

    public func fundamentals(symbol: String, asOf: Date) async throws -> FundamentalSnapshot {
        let symbol = symbol.uppercased()
        guard let snapshot = try await context.database.read({ try await $0.pipeline.fundamentals(symbol: symbol, asOf: asOf) }) else {
            throw ServiceError.notFound("fundamentals of \(symbol) published on or before that date", field: "as_of")
        }
        return snapshot
    }

    public func runs(limit: Int) async throws -> [PipelineRunRecord] {
        try await context.database.read { try await $0.pipeline.list(limit: limit) }
    }
}
