import Foundation

/// A portfolio-construction rule: target weights from the market as it stands. The live rebalancer and the
/// backtester call the same implementation, so a backtest replays exactly what would have been traded.
public protocol PortfolioStrategy: Sendable {
    var name: String { get }
    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double]
}

/// Trailing statistics strategies share.
enum TrailingStatistics {
    /// Annualised volatility of the last `window` daily returns; nil without enough history.
    static func volatility(_ closes: [Double], window: Int = 63) -> Double? {
        guard closes.count > 2 else { return nil }
        return ReturnStatistics.trailingVolatility(Array(closes.suffix(window + 1)), window: window, periodsPerYear: 252)
    }
}

/// Top names by trailing return (`lookback` bars, skipping the last `skip`), risk-scaled, while positive.
public struct MomentumStrategy: PortfolioStrategy {
    public var lookback: Int
    public var skip: Int
    public var name: String { "momentum" }

    public init(lookback: Int = 252, skip: Int = 21) {
        // Clamped, so no input can overflow `lookback + 1` or index before the first close.
        self.lookback = min(max(lookback, 1), PortfolioWindows.maximum)
        self.skip = min(max(skip, 0), self.lookback - 1)
    }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        var signals: [SymbolSignal] = []
        for (s, symbol) in market.symbols.enumerated() {
            let closes = market.recentCloses(s, count: lookback + 1)
            guard closes.count > lookback, let vol = TrailingStatistics.volatility(closes), vol > 0 else { continue }
            let endIndex = closes.count - 1 - skip
            guard endIndex > 0 else { continue }
            let start = closes[0], end = closes[endIndex]
            guard start > 0 else { continue }
            let ret = end / start - 1
            signals.append(SymbolSignal(symbol: symbol, expectedReturn: ret, score: ret / vol, volatility: vol))
        }
        return TargetWeightBuilder().targetWeights(strategy: .momentum, signals: signals, constraints: constraints)
    }
}

/// Names closing at a `window`-day high are held (equal weight); the rest are not.
public struct BreakoutStrategy: PortfolioStrategy {
    public var window: Int
    public var name: String { "breakout" }

    public init(window: Int = 55) { self.window = min(max(window, 1), PortfolioWindows.maximum) }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        var chosen: [(String, Double)] = []
        for (s, symbol) in market.symbols.enumerated() where !constraints.excludedSymbols.contains(symbol) {
            let closes = market.recentCloses(s, count: window + 1)
            guard closes.count > window, let last = closes.last else { continue }
            let priorHigh = closes.dropLast().max() ?? .infinity
            if last >= priorHigh { chosen.append((symbol, last / priorHigh - 1)) }
        }
        let top = chosen.sorted { ($0.1, $1.0) > ($1.1, $0.0) }.prefix(constraints.maxPositions)
        return TargetWeightBuilder.normalisedAndCapped(Dictionary(top.map { ($0.0, 1.0) }, uniquingKeysWith: { first, _ in first }),
                                                       total: constraints.investableFraction, cap: constraints.maxWeight)
    }
}

/// Oversold names (z-score of the close over `window` below `entryZ`, or RSI below `rsiBelow`) are held,
/// inverse-volatility weighted, expecting a reversion to the mean.
public struct MeanReversionStrategy: PortfolioStrategy {
    public var window: Int
    public var entryZ: Double
    public var rsiBelow: Double
    public var name: String { "mean_reversion" }

    public init(window: Int = 20, entryZ: Double = -1, rsiBelow: Double = 30) {
        self.window = min(max(window, 2), PortfolioWindows.maximum)
        self.entryZ = entryZ
        self.rsiBelow = rsiBelow
    }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        var raw: [(String, Double, Double)] = []
        for (s, symbol) in market.symbols.enumerated() where !constraints.excludedSymbols.contains(symbol) {
            let closes = market.recentCloses(s, count: max(window, 64) + 1)
            guard closes.count > max(window, 15), let vol = TrailingStatistics.volatility(closes), vol > 0 else { continue }
            let z = Indicators.rollingZScore(closes, window: window).last ?? .nan
            let rsi = Indicators.rsi(closes).last ?? .nan
            if z < entryZ || rsi < rsiBelow { raw.append((symbol, z.isNaN ? 0 : z, vol)) }
        }
        let chosen = raw.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(constraints.maxPositions)
        return TargetWeightBuilder.normalisedAndCapped(Dictionary(chosen.map { ($0.0, 1 / $0.2) }, uniquingKeysWith: { first, _ in first }),
                                                       total: constraints.investableFraction, cap: constraints.maxWeight)
    }
}

/// Every name (up to max positions, least volatile first), equal weight or inverse volatility.
public struct BalancedStrategy: PortfolioStrategy {
    public var inverseVolatility: Bool
    public var name: String { inverseVolatility ? "balanced_inverse_volatility" : "balanced_equal_weight" }

    public init(inverseVolatility: Bool = true) { self.inverseVolatility = inverseVolatility }

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        var raw: [(String, Double)] = []
        for (s, symbol) in market.symbols.enumerated() where !constraints.excludedSymbols.contains(symbol) {
            let closes = market.recentCloses(s, count: 64)
            guard closes.count > 20, let vol = TrailingStatistics.volatility(closes), vol > 0 else { continue }
            raw.append((symbol, vol))
        }
        let chosen = raw.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(constraints.maxPositions)
        return TargetWeightBuilder.normalisedAndCapped(Dictionary(chosen.map { ($0.0, inverseVolatility ? 1 / $0.1 : 1) }, uniquingKeysWith: { first, _ in first }),
                                                       total: constraints.investableFraction, cap: constraints.maxWeight)
    }
}

/// The benchmark: equal weight in every name that has a price, bought once and held.
public struct BuyAndHoldStrategy: PortfolioStrategy {
    public var name: String { "buy_and_hold" }

    public init() {}

    public func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        let priced = market.symbols.indices.filter { market.lastClose($0) != nil && !constraints.excludedSymbols.contains(market.symbols[$0]) }
        return TargetWeightBuilder.normalisedAndCapped(Dictionary(priced.prefix(constraints.maxPositions).map { (market.symbols[$0], 1.0) }, uniquingKeysWith: { first, _ in first }),
                                                       total: constraints.investableFraction, cap: max(constraints.maxWeight, 1 / Double(max(priced.count, 1))))
    }
}

/// The longest look-back any portfolio strategy takes: 40 years of daily bars. Longer windows are clamped.
public enum PortfolioWindows {
    public static let maximum = 10_080
}
