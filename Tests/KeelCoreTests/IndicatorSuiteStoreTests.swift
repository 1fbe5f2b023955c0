import Foundation
@testable import KeelCore
import Testing

/// The suite streams its columns past the cache over large series; the values must be the ordinary stores' bit for bit.
@Suite("Indicator suite stores")
struct IndicatorSuiteStoreTests {
    static func columns(_ suite: borrowing StandardIndicatorSuite) -> [[Double]] {
        [suite.sma, suite.ema, suite.rsi, suite.atr, suite.upper, suite.middle, suite.lower, suite.macd, suite.signal, suite.histogram]
    }

    static func suite(count: Int, seed: Int, writer: (some ColumnWriter).Type) -> [[Double]] {
        let series = EngineRobustnessPropertyTests.series(symbol: "S", bars: count, seed: seed, gaps: false)
        var suite = StandardIndicatorSuite(count: series.count)
        series.high.withUnsafeBufferPointer { h in
            series.low.withUnsafeBufferPointer { l in
                series.close.withUnsafeBufferPointer { c in suite.compute(high: h, low: l, close: c, writer: writer) }
            }
        }
        return columns(suite)
    }

    static func identical(_ a: [[Double]], _ b: [[Double]]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in x.count == y.count && zip(x, y).allSatisfy { $0.bitPattern == $1.bitPattern } }
    }

    @Test("streamed columns equal cached ones bit for bit, warm-up NaNs included", arguments: [0, 1, 19, 20, 33, 34, 35, 257, 4_099])
    func streamedEqualsCached(count: Int) {
        #expect(Self.identical(Self.suite(count: count, seed: count, writer: StreamingColumnWriter.self),
                               Self.suite(count: count, seed: count, writer: CachedColumnWriter.self)))
    }

    @Test("the public entry streams above the threshold and gives the same values")
    func entryAboveThreshold() {
        let count = StandardIndicatorSuite.streamingThreshold + 3
        let series = EngineRobustnessPropertyTests.series(symbol: "S", bars: count, seed: 7, gaps: false)
        var suite = StandardIndicatorSuite(count: series.count)
        series.high.withUnsafeBufferPointer { h in
            series.low.withUnsafeBufferPointer { l in
                series.close.withUnsafeBufferPointer { c in suite.compute(high: h, low: l, close: c) }
            }
        }
        #expect(Self.identical(Self.columns(suite), Self.suite(count: count, seed: 7, writer: CachedColumnWriter.self)))
    }
}
