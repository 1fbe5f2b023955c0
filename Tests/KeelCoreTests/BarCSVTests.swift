import Foundation
import KeelCore
import Testing

@Suite("Bar CSV")
struct BarCSVTests {
    @Test func readsTheMarketDataFormatWithMissingValues() throws {
        let text = "date,open,high,low,close,adj_close,volume\n2017-07-25,69.1,69.2,68.9,69.0,,1362\n2017-07-26,,,,69.08,,3\n"
        let parsed = try BarCSV.parse(text, symbol: "BHF")
        #expect(parsed.series.count == 2)
        #expect(parsed.series.open[1].isNaN && parsed.series.close[1] == 69.08)
        #expect(parsed.adjustedClose.allSatisfy { $0.isNaN })
        #expect(!parsed.hasTimes)
        #expect(CivilDay(parsed.series.timestamps[0]) == CivilDay(year: 2017, month: 7, day: 25))
    }

    @Test func readsYahooHeadersAndTimestamps() throws {
        let yahoo = try BarCSV.parse("Date,Open,High,Low,Close,Adj Close,Volume\r\n2020-01-02,1,2,0.5,1.5,1.4,100\r\n", symbol: "X")
        #expect(yahoo.adjustedClose == [1.4])
        let hourly = try BarCSV.parse("timestamp,open,high,low,close,adj_close,volume\n2019-10-17T09:00:00Z,1,1,1,1,,0\n", symbol: "BTCUSD")
        #expect(hourly.hasTimes)
        #expect(hourly.series.timestamps[0] == ISO8601DateFormatter().date(from: "2019-10-17T09:00:00Z"))
        // A spreadsheet's UTF-8 export starts with a byte-order mark; the folder listing already ignored it.
        let marked = try BarCSV.parse("\u{FEFF}Date,Open,High,Low,Close,Adj Close,Volume\r\n2020-01-02,1,2,0.5,1.5,1.4,100\r\n", symbol: "X")
        #expect(marked.series.close == [1.5] && marked.adjustedClose == [1.4])
    }

    @Test func reportsTheLineOfABadValue() {
        let text = "date,open,high,low,close,adj_close,volume\n2020-01-02,1,1,1,1,,1\n2020-01-03,abc,1,1,1,,1\n"
        #expect(throws: BarCSV.ParseError(line: 3, message: "'abc' in column open is not a number")) { try BarCSV.parse(text, symbol: "X") }
        #expect(throws: BarCSV.ParseError.self) { try BarCSV.parse("when,price\n", symbol: "X") }
        #expect(throws: BarCSV.ParseError.self) { try BarCSV.parse("date,open,high,low,close\n2020-13-45,1,1,1,1\n", symbol: "X") }
    }

    @Test func writesWhatItReads() throws {
        var series = BarSeries(symbol: "X")
        series.append(timestamp: CivilDay(year: 2024, month: 3, day: 1).date, open: 10.5, high: 11, low: 10, close: 10.75, volume: 1000)
        let parsed = try BarCSV.parse(BarCSV.write(series), symbol: "X")
        #expect(parsed.adjustedClose.count == 1)
        #expect(parsed.series == series)
    }
}
