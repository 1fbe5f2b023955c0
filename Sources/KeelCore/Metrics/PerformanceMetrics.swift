import Foundation

/// Performance statistics of an equity curve, with empyrical's definitions: simple daily returns,
/// 252 periods a year, risk-free rate 0, sample (n - 1) standard deviations.
public struct PerformanceMetrics: Sendable, Hashable, Codable {
    public var totalReturn: Double
    public var cagr: Double
    public var annualVolatility: Double
    public var sharpe: Double
    public var sortino: Double
    public var maxDrawdown: Double
    public var calmar: Double
    /// Traded notional per year over the average equity.
    public var turnover: Double
    /// Share of bars that ended with a position.
    public var exposure: Double
    public var winRate: Double
    public var profitFactor: Double
    public var trades: Int
    public var alpha: Double?
    public var beta: Double?

    public static let periodsPerYear = 252.0

    public init(result: BacktestResult, benchmark: [Double]? = nil) {
        self.init(equity: result.equity, trades: result.trades, tradedNotional: result.tradedNotional,
                  barsInMarket: result.barsInMarket, benchmarkEquity: benchmark)
    }

    public init(equity: [Double], trades: [RoundTrip] = [], tradedNotional: Double = 0, barsInMarket: Int = 0, benchmarkEquity: [Double]? = nil) {
        let returns = Self.returns(equity)
        totalReturn = Self.totalReturn(returns)
        cagr = Self.annualReturn(returns)
        annualVolatility = Self.annualVolatility(returns)
        sharpe = Self.sharpe(returns)
        sortino = Self.sortino(returns)
        maxDrawdown = Self.maxDrawdown(returns)
        calmar = maxDrawdown < 0 ? cagr / abs(maxDrawdown) : .nan
        let years = Double(returns.count) / Self.periodsPerYear
        let averageEquity = equity.isEmpty ? 0 : equity.reduce(0, +) / Double(equity.count)
        turnover = years > 0 && averageEquity > 0 ? tradedNotional / years / averageEquity : 0
        exposure = equity.isEmpty ? 0 : Double(barsInMarket) / Double(equity.count)
        self.trades = trades.count
        let wins = trades.filter { $0.profitLoss > 0 }
        let gains = wins.reduce(0) { $0 + $1.profitLoss }
        let losses = trades.filter { $0.profitLoss < 0 }.reduce(0) { $0 + $1.profitLoss }
        winRate = trades.isEmpty ? .nan : Double(wins.count) / Double(trades.count)
        profitFactor = losses < 0 ? gains / abs(losses) : (gains > 0 ? .infinity : .nan)
        if let benchmarkEquity {
            let (a, b) = Self.alphaBeta(returns, Self.returns(benchmarkEquity))
            alpha = a
            beta = b
        }
    }

    public static func returns(_ equity: [Double]) -> [Double] {
        guard equity.count > 1 else { return [] }
        return (1..<equity.count).map { equity[$0 - 1] != 0 ? equity[$0] / equity[$0 - 1] - 1 : 0 }
    }

    public static func totalReturn(_ returns: [Double]) -> Double {
        returns.reduce(1) { $0 * (1 + $1) } - 1
    }

    /// empyrical.annual_return: compounded growth per 252 periods.
    public static func annualReturn(_ returns: [Double]) -> Double {
        guard !returns.isEmpty else { return .nan }
        let ending = returns.reduce(1) { $0 * (1 + $1) }
        return pow(ending, periodsPerYear / Double(returns.count)) - 1
    }

    static func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }

    public static func annualVolatility(_ returns: [Double]) -> Double {
        (ReturnStatistics.standardDeviation(returns) ?? .nan) * periodsPerYear.squareRoot()
    }

    public static func sharpe(_ returns: [Double]) -> Double {
        guard returns.count > 1 else { return .nan }
        return mean(returns) / (ReturnStatistics.standardDeviation(returns) ?? .nan) * periodsPerYear.squareRoot()
    }

    /// empyrical.sortino_ratio: annualised mean over annualised downside deviation (root mean square of
    /// the negative returns, zeros counted).
    public static func sortino(_ returns: [Double]) -> Double {
        guard !returns.isEmpty else { return .nan }
        let downside = (returns.reduce(0) { $0 + min($1, 0) * min($1, 0) } / Double(returns.count)).squareRoot() * periodsPerYear.squareRoot()
        return downside > 0 ? mean(returns) * periodsPerYear / downside : .nan
    }

    /// The deepest fall from a running peak of the compounded returns (a negative fraction).
    public static func maxDrawdown(_ returns: [Double]) -> Double {
        var value = 1.0, peak = -Double.infinity, worst = 0.0
        for r in returns {
            value *= 1 + r
            peak = max(peak, value)
            worst = min(worst, value / peak - 1)
        }
        return worst
    }

    /// empyrical.alpha_beta: beta from population moments; alpha the annualised mean excess over beta x benchmark.
    public static func alphaBeta(_ returns: [Double], _ benchmark: [Double]) -> (Double, Double) {
        let n = min(returns.count, benchmark.count)
        guard n > 1 else { return (.nan, .nan) }
        let r = Array(returns.prefix(n)), b = Array(benchmark.prefix(n))
        let meanB = mean(b)
        var covariance = 0.0, variance = 0.0
        for i in 0..<n {
            covariance += (b[i] - meanB) * r[i]
            variance += (b[i] - meanB) * (b[i] - meanB)
        }
        let beta = covariance / variance
        let alphaSeries = (0..<n).map { r[$0] - beta * b[$0] }
        return (pow(mean(alphaSeries) + 1, periodsPerYear) - 1, beta)
    }
}
