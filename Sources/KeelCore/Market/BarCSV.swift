import Foundation

/// Reads and writes OHLCV bars as CSV. Accepts the market-data format
/// (`date|timestamp,open,high,low,close,adj_close,volume`) and the Yahoo header
/// (`Date,Open,High,Low,Close,Adj Close,Volume`), columns in any order. An empty field is a missing value
/// (NaN), never zero, so validation can see it.
public enum BarCSV {
    public struct ParseError: Error, Sendable, CustomStringConvertible, Equatable {
        public var line: Int
        public var message: String

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { "line \(line): \(message)" }
    }

    public struct Parsed: Sendable {
        public var series: BarSeries
        /// The adjusted close of each bar, NaN where the source has none.
        public var adjustedClose: [Double]
        /// True when the file stamps bars with times (intraday), false for dates.
        public var hasTimes: Bool
    }

    public static func parse(_ text: String, symbol: String) throws -> Parsed {
        var lines = text.utf8.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D }).lazy.map { Substring($0) }.makeIterator()
        guard let headerLine = lines.next() else { throw ParseError(line: 1, message: "the file is empty") }
        // A byte-order mark (a spreadsheet's UTF-8 export) is not part of the first column's name.
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\u{FEFF}"))).lowercased()
                .replacingOccurrences(of: " ", with: "_") }
        func index(_ names: String...) -> Int? { header.firstIndex { names.contains($0) } }
        guard let timeColumn = index("date", "timestamp", "datetime", "time") else {
            throw ParseError(line: 1, message: "no date or timestamp column in header '\(headerLine)'")
        }
        guard let openColumn = index("open"), let highColumn = index("high"), let lowColumn = index("low"), let closeColumn = index("close") else {
            throw ParseError(line: 1, message: "the header needs open, high, low and close columns")
        }
        let adjustedColumn = index("adj_close", "adjclose", "adjusted_close", "adjusted")
        let volumeColumn = index("volume")

        var series = BarSeries(symbol: symbol)
        var adjusted: [Double] = []
        var hasTimes = false
        var lineNumber = 1
        // Fields are cut and numbers read on UTF-8 bytes: splitting into Characters (grapheme breaking) and
        // Foundation's trimming per field cost more than the rest of an import together.
        var fields: [Substring.UTF8View] = []
        fields.reserveCapacity(header.count)
        while let line = lines.next() {
            lineNumber += 1
            fields.removeAll(keepingCapacity: true)
            fields.append(contentsOf: line.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false))
            guard fields.count >= header.count else {
                throw ParseError(line: lineNumber, message: "expected \(header.count) fields, found \(fields.count)")
            }
            let timeField = Substring(fields[timeColumn])
            guard let (time, withTime) = parseTime(timeField) else {
                throw ParseError(line: lineNumber, message: "'\(timeField)' is not a date (YYYY-MM-DD) or ISO-8601 UTC timestamp")
            }
            hasTimes = hasTimes || withTime
            func number(_ column: Int?) throws -> Double {
                guard let column else { return .nan }
                guard let value = Self.number(fields[column]) else {
                    throw ParseError(line: lineNumber, message: "'\(Substring(fields[column]).trimmingCharacters(in: .whitespaces))' in column \(header[column]) is not a number")
                }
                return value
            }
            series.append(timestamp: time, open: try number(openColumn), high: try number(highColumn), low: try number(lowColumn),
                          close: try number(closeColumn), volume: try number(volumeColumn))
            adjusted.append(try number(adjustedColumn))
        }
        return Parsed(series: series, adjustedClose: adjusted, hasTimes: hasTimes)
    }

    /// A field's number: surrounding spaces and tabs ignored; empty, `nan` or `null` (any case) is NaN; nil when the
    /// field is not a number. `Double(_:)` reads the digits (correctly rounded, locale-independent).
    static func number(_ field: Substring.UTF8View) -> Double? {
        var start = field.startIndex, end = field.endIndex
        while start < end, field[start] == 0x20 || field[start] == 0x09 { start = field.index(after: start) }
        while end > start, field[field.index(before: end)] == 0x20 || field[field.index(before: end)] == 0x09 { end = field.index(before: end) }
        let trimmed = field[start..<end]
        if trimmed.isEmpty { return .nan }
        if trimmed.count <= 4, let first = trimmed.first, first | 0x20 == UInt8(ascii: "n") {
            let lower = String(decoding: trimmed.map { $0 | 0x20 }, as: UTF8.self)
            if lower == "nan" || lower == "null" { return .nan }
        }
        return Double(Substring(trimmed))
    }

    /// A field's date or date-time as `DateText` reads it (offsets applied, impossible dates refused), without a
    /// formatter (imports read millions of these). The Bool: whether it had a time.
    public static func parseTime(_ text: Substring) -> (Date, Bool)? {
        // Quotes and padding around the field are the file's, not the date's.
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x22 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x22 || last == 0x0D { bytes = bytes.dropLast() }
        guard let parsed = DateText.instant(bytes) else { return nil }
        return (parsed.date, parsed.hasTime)
    }

    /// Writes bars in the market-data format (`date` for daily bars, `timestamp` for intraday ones).
    public static func write(_ series: BarSeries, adjustedClose: [Double]? = nil, intraday: Bool = false) -> String {
        var out = (intraday ? "timestamp" : "date") + ",open,high,low,close,adj_close,volume\n"
        out.reserveCapacity(series.count * 64)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = intraday ? [.withInternetDateTime] : [.withFullDate]
        for i in 0..<series.count {
            let adjusted = adjustedClose.map { $0[i].isNaN ? "" : format($0[i]) } ?? ""
            out += "\(formatter.string(from: series.timestamps[i])),\(format(series.open[i])),\(format(series.high[i])),\(format(series.low[i])),"
            out += "\(format(series.close[i])),\(adjusted),\(format(series.volume[i]))\n"
        }
        return out
    }

    public static func format(_ value: Double) -> String {
        if value.isNaN { return "" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
