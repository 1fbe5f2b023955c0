import Foundation

/// Daily or intraday bars of one symbol, stored column by column so compute loops read contiguous memory.
public struct BarSeries: Sendable, Equatable {
    public let symbol: String
    public private(set) var timestamps: [Date]
    public private(set) var open: [Double]
    public private(set) var high: [Double]
    public private(set) var low: [Double]
    public private(set) var close: [Double]
    public private(set) var volume: [Double]

    public init(symbol: String, timestamps: [Date] = [], open: [Double] = [], high: [Double] = [], low: [Double] = [], close: [Double] = [], volume: [Double] = []) {
        precondition([open.count, high.count, low.count, close.count, volume.count].allSatisfy { $0 == timestamps.count },
                      "every column of a bar series has one value per timestamp")
        self.symbol = symbol
        self.timestamps = timestamps
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }

    public mutating func reserveCapacity(_ n: Int) {
        timestamps.reserveCapacity(n); open.reserveCapacity(n); high.reserveCapacity(n)
        low.reserveCapacity(n); close.reserveCapacity(n); volume.reserveCapacity(n)
    }

    public mutating func append(timestamp: Date, open o: Double, high h: Double, low l: Double, close c: Double, volume v: Double) {
        timestamps.append(timestamp); open.append(o); high.append(h); low.append(l); close.append(c); volume.append(v)
    }

    /// Index of the last bar at or before `date`, by binary search; nil when every bar is later.
    public func lastIndex(onOrBefore date: Date) -> Int? {
        var lo = 0, hi = timestamps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if timestamps[mid] <= date { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// The series cut at `date` (inclusive): what was knowable then.
    public func truncated(through date: Date) -> BarSeries {
        guard let last = lastIndex(onOrBefore: date) else { return BarSeries(symbol: symbol) }
        let end = last + 1
        return BarSeries(symbol: symbol, timestamps: Array(timestamps[..<end]), open: Array(open[..<end]),
                         high: Array(high[..<end]), low: Array(low[..<end]), close: Array(close[..<end]),
                         volume: Array(volume[..<end]))
    }
}
