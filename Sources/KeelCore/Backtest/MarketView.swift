import Foundation

/// Several symbols on one shared calendar, column by column (NaN where a symbol has no bar that day).
public struct AlignedMarket: Sendable {
    public let symbols: [String]
    public let timestamps: [Date]
    public let open: [[Double]]
    public let high: [[Double]]
    public let low: [[Double]]
    public let close: [[Double]]
    public let volume: [[Double]]

    /// Aligns series on the union of their timestamps. A symbol given twice keeps its first series: every
    /// consumer keys by symbol, and one symbol must be one column.
    public init(_ given: [BarSeries]) {
        var seen = Set<String>()
        let series = given.filter { seen.insert($0.symbol).inserted }
        let times = Array(Set(series.flatMap(\.timestamps))).sorted()
        let index = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($1, $0) })
        func column(_ s: BarSeries, _ field: KeyPath<BarSeries, [Double]>) -> [Double] {
            var out = [Double](repeating: .nan, count: times.count)
            let values = s[keyPath: field]
            for i in 0..<min(s.timestamps.count, values.count) { out[index[s.timestamps[i]]!] = values[i] }
            return out
        }
        symbols = series.map(\.symbol)
        timestamps = times
        open = series.map { column($0, \.open) }
        high = series.map { column($0, \.high) }
        low = series.map { column($0, \.low) }
        close = series.map { column($0, \.close) }
        volume = series.map { column($0, \.volume) }
    }

    public var count: Int { timestamps.count }

    /// The market as it stood after bar `current`.
    public func view(at current: Int) -> MarketView { MarketView(market: self, current: current) }
}

/// What a portfolio strategy sees: every symbol's bars up to the current one, nothing later (later bars
/// read as NaN).
public struct MarketView: Sendable {
    public let market: AlignedMarket
    public let current: Int

    public var symbols: [String] { market.symbols }
    public var date: Date { market.timestamps[current] }

    @inline(__always) public func close(_ symbol: Int, _ i: Int) -> Double { i <= current && i >= 0 ? market.close[symbol][i] : .nan }
    @inline(__always) public func high(_ symbol: Int, _ i: Int) -> Double { i <= current && i >= 0 ? market.high[symbol][i] : .nan }
    @inline(__always) public func low(_ symbol: Int, _ i: Int) -> Double { i <= current && i >= 0 ? market.low[symbol][i] : .nan }

    /// The last close at or before the current bar (a symbol without a bar today keeps its last price).
    public func lastClose(_ symbol: Int) -> Double? {
        var i = current
        while i >= 0 {
            let c = market.close[symbol][i]
            if !c.isNaN { return c }
            i -= 1
        }
        return nil
    }

    /// Closes of the last `count` bars that exist for the symbol, oldest first.
    public func recentCloses(_ symbol: Int, count: Int) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(max(0, min(count, current + 1)))
        var i = current
        while i >= 0 && out.count < count {
            let c = market.close[symbol][i]
            if !c.isNaN { out.append(c) }
            i -= 1
        }
        return out.reversed()
    }

    /// Each symbol's bars up to the current one, as series (for predictors that take histories).
    public func histories() -> [BarSeries] {
        market.symbols.indices.map { s in
            var series = BarSeries(symbol: market.symbols[s])
            for i in 0...current where !market.close[s][i].isNaN {
                series.append(timestamp: market.timestamps[i], open: market.open[s][i], high: market.high[s][i], low: market.low[s][i],
                              close: market.close[s][i], volume: market.volume[s][i])
            }
            return series
        }
    }
}
