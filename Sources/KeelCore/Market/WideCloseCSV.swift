import Foundation

/// A wide price matrix as CSV: a `date` column and one close column per symbol (`date,AAPL,AMD,...`), the layout of
/// `../shared/data/market/prices_wide/`. Each symbol's column becomes daily bars whose open, high and low are the close
/// (the source has no others) and whose volume is NaN (it has none); a row with the symbol's field empty (not yet
/// listed, delisted) is no bar of that symbol.
public enum WideCloseCSV {
    /// The header's symbols when it is a wide price matrix: a first column named `date` and at least one other, none of
    /// them an OHLCV field (a leading byte-order mark ignored). Nil for any other layout.
    public static func symbols(header: String) -> [String]? {
        let columns = header.trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}"))
            .split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.count >= 2, columns[0].lowercased() == "date" else { return nil }
        let names = columns.dropFirst()
        let ohlcv: Set<String> = ["open", "high", "low", "close", "adj close", "adj_close", "adjclose", "volume"]
        guard names.allSatisfy({ !$0.isEmpty && !ohlcv.contains($0.lowercased()) }) else { return nil }
        return names.map { $0.uppercased() }
    }

    /// The bars of one symbol's column.
    public static func parse(_ text: String, symbol: String) throws -> BarSeries {
        var lines = text.utf8.split(omittingEmptySubsequences: true, whereSeparator: { $0 == 0x0A || $0 == 0x0D })
            .lazy.map { Substring($0) }.makeIterator()
        guard let headerLine = lines.next() else { throw BarCSV.ParseError(line: 1, message: "the file is empty") }
        guard let symbols = symbols(header: String(headerLine)) else {
            throw BarCSV.ParseError(line: 1, message: "not a wide price matrix (a date column, then one close column per symbol)")
        }
        guard let column = symbols.firstIndex(of: symbol.uppercased()).map({ $0 + 1 }) else {
            throw BarCSV.ParseError(line: 1, message: "no column \(symbol) in the header")
        }
        var series = BarSeries(symbol: symbol.uppercased())
        var lineNumber = 1
        while let line = lines.next() {
            lineNumber += 1
            let fields = line.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
            guard fields.count == symbols.count + 1 else {
                throw BarCSV.ParseError(line: lineNumber, message: "expected \(symbols.count + 1) fields, found \(fields.count)")
            }
            guard let (time, _) = BarCSV.parseTime(Substring(fields[0])) else {
                throw BarCSV.ParseError(line: lineNumber, message: "'\(Substring(fields[0]))' is not a date (YYYY-MM-DD)")
            }
            guard let close = BarCSV.number(fields[column]) else {
                throw BarCSV.ParseError(line: lineNumber, message: "'\(Substring(fields[column]))' in column \(symbol) is not a number")
            }
            guard !close.isNaN else { continue }
            if let last = series.timestamps.last, time <= last {
                throw BarCSV.ParseError(line: lineNumber, message: "dates must increase (\(Substring(fields[0])) after an equal or later one)")
            }
            series.append(timestamp: time, open: close, high: close, low: close, close: close, volume: .nan)
        }
        return series
    }
}
