import Foundation
import KeelCore
import KeelML
import KeelStore

/// Read side of the market data: bars, indicators computed from them, quality issues, fundamentals as of a date.
public struct MarketDataQueries: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public static let maximumBars = 1_000_000

    /// When the newest stored bar of any symbol ends (readiness reports how old the data is).
    public func newestBarTime() async throws -> Date? {
        try await context.database.read { try await $0.marketBars.newestBarTime() }
    }

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

    /// Point-in-time model features of daily bars: warm-up computed over all stored history, rows cut to the range.
    public func features(symbols: [String], from: Date?, to: Date?) async throws -> [FeatureRow] {
        let symbols = symbols.map { $0.uppercased() }
        guard !symbols.isEmpty, symbols.count <= 200 else { throw ServiceError.invalid("symbols", "give 1 to 200 symbols, comma-separated") }
        let through = to ?? context.clock.now()
        let (histories, points) = try await context.database.read { session in
            (try await session.marketBars.history(symbols: symbols, since: .distantPast).map { $0.truncated(through: through) },
             try await session.pipeline.fundamentalsHistory(symbols: symbols, through: through))
        }
        let fundamentals = points.map {
            FundamentalPoint(symbol: $0.symbol, publishedAt: $0.asOf, peRatio: $0.peRatio, dividendYield: $0.dividendYield,
                             marketCap: $0.marketCap, priceToBook: $0.priceToBook)
        }
        return FeatureBuilder().build(histories, fundamentals: fundamentals).filter { row in from.map { row.date >= $0 } ?? true }
            .sorted { ($0.date, $0.symbol) < ($1.date, $1.symbol) }
    }

    public func runs(limit: Int) async throws -> [PipelineRunRecord] {
        try await context.database.read { try await $0.pipeline.list(limit: limit) }
    }
}
