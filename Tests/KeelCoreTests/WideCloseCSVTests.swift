import Foundation
import KeelCore
import Testing

@Suite("Wide price matrices")
struct WideCloseCSVTests {
    static let text = """
        date,AAPL,NEW,msft
        2020-01-02,75.09,,160.62
        2020-01-03,74.36,,158.62
        2020-01-06,74.95,12.5,159.03
        """

    @Test("a date column then symbols is a wide matrix; an OHLCV or other header is not")
    func detection() {
        #expect(WideCloseCSV.symbols(header: "date,AAPL,AMD,BAC") == ["AAPL", "AMD", "BAC"])
        #expect(WideCloseCSV.symbols(header: "Date , spy") == ["SPY"])
        #expect(WideCloseCSV.symbols(header: "\u{FEFF}date,SPY") == ["SPY"], "a byte-order mark is not part of the first column's name")
        #expect(WideCloseCSV.symbols(header: "date,open,high,low,close,adj_close,volume") == nil)
        #expect(WideCloseCSV.symbols(header: "Date,Open,High,Low,Close,Adj Close,Volume") == nil)
        #expect(WideCloseCSV.symbols(header: "Symbol,Name,Sector") == nil)
        #expect(WideCloseCSV.symbols(header: "date") == nil)
        #expect(WideCloseCSV.symbols(header: "date,AAPL,,MSFT") == nil, "an unnamed column")
    }

    @Test("each column is a daily series of closes (open, high and low the close; no volume); empty fields are no bar")
    func parsing() throws {
        let apple = try WideCloseCSV.parse(Self.text, symbol: "aapl")
        #expect(apple.symbol == "AAPL" && apple.count == 3 && apple.close == [75.09, 74.36, 74.95])
        #expect(apple.open == apple.close && apple.high == apple.close && apple.low == apple.close && apple.volume.allSatisfy(\.isNaN))
        #expect(apple.timestamps.first == CivilDay(year: 2020, month: 1, day: 2).date)
        let listedLater = try WideCloseCSV.parse(Self.text, symbol: "NEW")
        #expect(listedLater.count == 1 && listedLater.close == [12.5] && listedLater.timestamps == [CivilDay(year: 2020, month: 1, day: 6).date])
        #expect(try WideCloseCSV.parse(Self.text, symbol: "MSFT").close == [160.62, 158.62, 159.03], "a lower-case column is its symbol")
        let windows = "\u{FEFF}" + Self.text.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try WideCloseCSV.parse(windows, symbol: "AAPL").close == apple.close, "a byte-order mark and CRLF lines read the same")
    }

    @Test("a bad file is refused with the line at fault")
    func errors() {
        func line(_ text: String, _ symbol: String = "AAPL") -> Int? {
            do { _ = try WideCloseCSV.parse(text, symbol: symbol); return nil } catch let error as BarCSV.ParseError { return error.line } catch { return -1 }
        }
        #expect(line("") == 1)
        #expect(line("date,open,high,low,close\n") == 1)
        #expect(line(Self.text, "IBM") == 1, "no such column")
        #expect(line("date,AAPL\n2020-01-02,abc\n") == 2)
        #expect(line("date,AAPL\n2020-13-02,1\n") == 2)
        #expect(line("date,AAPL,MSFT\n2020-01-02,1\n") == 2, "a short row")
        #expect(line("date,AAPL\n2020-01-03,1\n2020-01-02,2\n") == 3, "dates must increase")
        #expect(line("date,AAPL\n2020-01-02,1\n2020-01-02,2\n") == 3, "no repeated date")
    }
}
