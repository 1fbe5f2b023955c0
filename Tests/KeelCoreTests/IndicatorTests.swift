import Foundation
import KeelCore
import Testing

/// Every indicator against TA-Lib's values on bars Keel simulated (Fixtures/talib_reference.csv; how it was
/// made is in Fixtures/make_talib_reference.py).
@Suite("Indicators")
struct IndicatorTests {
    struct Reference {
        var series: BarSeries
        var columns: [String: [Double]]
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/talib_reference.csv")
        let text = try! String(contentsOf: url, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline)
        let header = lines.removeFirst().split(separator: ",").map(String.init)
        var series = BarSeries(symbol: "AAPL")
        var columns: [String: [Double]] = [:]
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            func value(_ name: String) -> Double { Double(fields[header.firstIndex(of: name)!]) ?? .nan }
            series.append(timestamp: BarCSV.parseTime(fields[0])!.0, open: value("open"), high: value("high"), low: value("low"),
                          close: value("close"), volume: value("volume"))
            for name in header.dropFirst(6) { columns[name, default: []].append(value(name)) }
        }
        return Reference(series: series, columns: columns)
    }()

    @Test("matches TA-Lib value for value, warm-up included", arguments: IndicatorTable.columns.dropFirst())
    func matchesTALib(column: String) throws {
        let table = IndicatorTable(Self.reference.series)
        let ours = try #require(table.column(column))
        let theirs = try #require(Self.reference.columns[column])
        #expect(ours.count == theirs.count)
        let firstOurs = ours.firstIndex { !$0.isNaN }, firstTheirs = theirs.firstIndex { !$0.isNaN }
        #expect(firstOurs == firstTheirs, "\(column): warm-up ends at \(String(describing: firstOurs)), TA-Lib at \(String(describing: firstTheirs))")
        var worst = 0.0
        for i in 0..<ours.count {
            #expect(ours[i].isNaN == theirs[i].isNaN, "\(column)[\(i)]: \(ours[i]) vs \(theirs[i])")
            guard !ours[i].isNaN, !theirs[i].isNaN else { continue }
            worst = max(worst, abs(ours[i] - theirs[i]) / max(1, abs(theirs[i])))
        }
        #expect(worst < 1e-9, "\(column): largest relative difference \(worst)")
    }

    @Test("changing future bars never changes an earlier value")
    func noLookAhead() {
        let series = Self.reference.series
        let cut = 200
        var altered = series.truncated(through: series.timestamps[cut])
        for i in (cut + 1)..<series.count {
            // A wild future: prices tripled, volumes zeroed.
            altered.append(timestamp: series.timestamps[i], open: series.open[i] * 3, high: series.high[i] * 3, low: series.low[i] * 3,
                           close: series.close[i] * 3, volume: 0)
        }
        let before = IndicatorTable(series), after = IndicatorTable(altered)
        for (name, (a, b)) in zip(IndicatorTable.columns, zip(before.values, after.values)) {
            for i in 0...cut {
                #expect(a[i].isNaN == b[i].isNaN && (a[i].isNaN || a[i] == b[i]), "\(name)[\(i)] changed with the future")
            }
        }
    }

    @Test("the fused suite equals the one-by-one functions")
    func suiteMatchesFunctions() {
        let series = Self.reference.series
        var suite = StandardIndicatorSuite(count: series.count)
        series.high.withUnsafeBufferPointer { h in
            series.low.withUnsafeBufferPointer { l in
                series.close.withUnsafeBufferPointer { c in suite.compute(high: h, low: l, close: c) }
            }
        }
        let table = IndicatorTable(series)
        let pairs: [([Double], String)] = [(suite.sma, "sma_20"), (suite.ema, "ema_20"), (suite.rsi, "rsi_14"), (suite.atr, "atr_14"),
                                           (suite.upper, "bb_upper"), (suite.lower, "bb_lower"), (suite.macd, "macd"), (suite.histogram, "macd_hist")]
        for (values, name) in pairs {
            let expected = table.column(name)!
            // The fused passes reorder a few additions: equal to the last bits, not necessarily bit for bit.
            #expect(zip(values, expected).allSatisfy { $0.isNaN && $1.isNaN || abs($0 - $1) <= 1e-12 * max(1, abs($1)) }, "\(name)")
        }
    }

    @Test("short series give all-NaN columns instead of crashing")
    func shortSeries() {
        let tiny = BarSeries(symbol: "X", timestamps: [Date(timeIntervalSince1970: 0)], open: [1], high: [1], low: [1], close: [1], volume: [1])
        let table = IndicatorTable(tiny)
        #expect(table.values.allSatisfy { $0.count == 1 })
        #expect(table.column("rsi_14")?.first?.isNaN == true)
    }
}
