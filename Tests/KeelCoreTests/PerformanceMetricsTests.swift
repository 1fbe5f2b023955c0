import Foundation
import KeelCore
import Testing

/// Metrics against empyrical 0.7.1 on closes Keel simulated (Fixtures/empyrical_reference.json;
/// Fixtures/make_empyrical_reference.py says how it was made).
@Suite("Performance metrics")
struct PerformanceMetricsTests {
    struct Reference: Decodable {
        var equity: [Double]
        var benchmark: [Double]
        var total_return, cagr, annual_volatility, sharpe, sortino, max_drawdown, calmar, alpha, beta: Double
    }

    static let reference: Reference = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/empyrical_reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    @Test func matchEmpyrical() {
        let ref = Self.reference
        let metrics = PerformanceMetrics(equity: ref.equity, benchmarkEquity: ref.benchmark)
        let pairs: [(String, Double, Double)] = [
            ("total_return", metrics.totalReturn, ref.total_return), ("cagr", metrics.cagr, ref.cagr),
            ("annual_volatility", metrics.annualVolatility, ref.annual_volatility), ("sharpe", metrics.sharpe, ref.sharpe),
            ("sortino", metrics.sortino, ref.sortino), ("max_drawdown", metrics.maxDrawdown, ref.max_drawdown),
            ("calmar", metrics.calmar, ref.calmar), ("alpha", metrics.alpha ?? .nan, ref.alpha), ("beta", metrics.beta ?? .nan, ref.beta),
        ]
        for (name, ours, theirs) in pairs {
            #expect(abs(ours - theirs) <= 1e-9 * max(1, abs(theirs)), "\(name): \(ours) vs empyrical \(theirs)")
        }
    }

    @Test func tradeStatistics() {
        let day = Date(timeIntervalSince1970: 0)
        let trades = [
            RoundTrip(symbol: "X", entryTime: day, exitTime: day, quantity: 10, entryPrice: 100, exitPrice: 110, commission: 2),  // +98
            RoundTrip(symbol: "X", entryTime: day, exitTime: day, quantity: 10, entryPrice: 100, exitPrice: 95, commission: 2),   // -52
            RoundTrip(symbol: "X", entryTime: day, exitTime: day, quantity: -5, entryPrice: 50, exitPrice: 40, commission: 0),    // +50
        ]
        let metrics = PerformanceMetrics(equity: [100, 101, 102], trades: trades, tradedNotional: 0, barsInMarket: 2)
        #expect(metrics.trades == 3)
        #expect(abs(metrics.winRate - 2.0 / 3) < 1e-12)
        #expect(abs(metrics.profitFactor - 148.0 / 52) < 1e-12)
        #expect(abs(metrics.exposure - 2.0 / 3) < 1e-12)
    }
}
