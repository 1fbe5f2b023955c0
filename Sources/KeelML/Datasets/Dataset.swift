import Foundation

/// Rows of (symbol, day) with the features known at that day's close, in one contiguous array per feature, and
/// the label: the return from the next bar's open over `horizonDays` bars (NaN while the horizon is open).
public struct Dataset: Sendable {
    public let featureNames: [String]
    public let symbols: [String]
    /// Trading days, ascending.
    public let days: [Date]
    public let horizonDays: Int
    /// Bars from a row's day to the end of its label: entry at the next open, exit `horizonDays` bars later. The
    /// embargo between training and what follows it.
    public var labelSpan: Int { max(1, horizonDays) + 1 }
    public private(set) var symbolIndex: [Int32]
    public private(set) var dayIndex: [Int32]
    /// `columns[feature][row]`.
    public private(set) var columns: [[Double]]
    public private(set) var labels: [Double]

    public var rowCount: Int { labels.count }
    public var featureCount: Int { featureNames.count }

    public init(featureNames: [String], symbols: [String], days: [Date], horizonDays: Int,
                symbolIndex: [Int32], dayIndex: [Int32], columns: [[Double]], labels: [Double]) {
        precondition(columns.count == featureNames.count && symbolIndex.count == labels.count && dayIndex.count == labels.count)
        precondition(columns.allSatisfy { $0.count == labels.count })
        self.featureNames = featureNames
        self.symbols = symbols
        self.days = days
        self.horizonDays = horizonDays
        self.symbolIndex = symbolIndex
        self.dayIndex = dayIndex
        self.columns = columns
        self.labels = labels
    }

    /// The rows whose day index lies in `range` and whose label is known.
    public func labelledRows(inDays range: Range<Int>) -> [Int] {
        (0..<rowCount).filter { range.contains(Int(dayIndex[$0])) && labels[$0].isFinite }
    }

    /// The rows whose day index lies in `range` (any label).
    public func rows(inDays range: Range<Int>) -> [Int] {
        (0..<rowCount).filter { range.contains(Int(dayIndex[$0])) }
    }

    /// The rows of one day (any label).
    public func rows(onDay day: Int) -> [Int] {
        (0..<rowCount).filter { Int(dayIndex[$0]) == day }
    }

    /// Row indices grouped by day, ascending day: the cross-sections metrics are computed over.
    public func rowsByDay(_ rows: [Int]) -> [(day: Int, rows: [Int])] {
        var groups: [Int: [Int]] = [:]
        for row in rows { groups[Int(dayIndex[row]), default: []].append(row) }
        return groups.keys.sorted().map { ($0, groups[$0]!) }
    }
}
