import Foundation
import KeelCore
import Synchronization

/// The autonomous policy replayed on history, day by day, with the cycle's own decision code: the regime of the
/// benchmark (`RegimeClassifier`, bars up to the day), the strategy selection with its switch damping
/// (`StrategySelector`; overrides and goals excluded), the risk limits against the replay's own high-water mark
/// (`AccountRiskMonitor`) with de-risking, demotion on evidence (excess-return t over at least the judged days),
/// and the rebalance of the chosen strategy (`PredictedReturnStrategy` with the momentum baseline, the live weight
/// builder) through the backtest engine with next-open fills and costs. Beside it, over the same days:
/// buy-and-hold of the benchmark and each fixed strategy. De-risking to `defensive` trades the low-volatility
/// construction on the same universe (live, it moves to the defensive model portfolio's own universe).
public struct AutonomousPolicyReplay: Sendable {
    public struct Settings: Sendable {
        public var selector = StrategySelector.Settings()
        /// The model portfolio's own strategy (what a neutral regime falls back to).
        public var portfolioStrategy: StrategyKind = .momentum
        public var maxDrawdown: Double? = 0.15
        public var maxVolatility: Double? = nil
        public var deriskAction: StrategySelector.DeriskChoice = .defensive
        public var minimumJudgedDays = 60
        public var demotionTStatistic = -2.0
        public var demotionDays = 20.0
        public var constraints = PortfolioConstraints(maxPositions: 10, maxWeight: 0.2, cashBuffer: 0.02)
        public var driftThreshold = 0.02
        public var execution = ExecutionModel.liveLike
        public var initialCash = 100_000.0
        /// Bars before the first decision: the regime's 200-day average and the momentum lookback need them.
        public var warmUp = 252

        public init() {}
    }

    public struct Figures: Sendable, Codable, Hashable {
        public var totalReturn: Double
        public var cagr: Double
        public var sharpe: Double
        public var maxDrawdown: Double
        public var turnover: Double
        public var costs: Double
    }

    public struct Report: Sendable, Codable, Hashable {
        public var from: Date
        public var to: Date
        public var policy: Figures
        public var benchmark: Figures
        /// Each fixed strategy over the same days.
        public var fixed: [String: Figures]
        public var switches: Int
        public var demotions: Int
        public var derisks: Int
        public var daysInRegime: [String: Int]
        public var daysInStrategy: [String: Int]
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public enum ReplayError: Error, CustomStringConvertible {
        case tooShort(days: Int, needed: Int)
        public var description: String {
            switch self {
            case .tooShort(let days, let needed): "the replay needs at least \(needed) bars of the benchmark; there are \(days)"
            }
        }
    }

    /// The report and the policy's own backtest result (its equity over every bar, fills and trades).
    public func run(histories: [BarSeries], benchmark: BarSeries, cancellation: CancellationCheck = .never) throws -> (report: Report, result: BacktestResult) {
        let needed = settings.warmUp + 20
        guard benchmark.count >= needed else { throw ReplayError.tooShort(days: benchmark.count, needed: needed) }
        let regimes = Dictionary(RegimeClassifier().classify(benchmark).map { ($0.date, $0) }, uniquingKeysWith: { first, _ in first })
        let benchmarkClose = Dictionary(zip(benchmark.timestamps, benchmark.close).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        // The benchmark is not a holding unless it is the whole universe (a replay on SPY alone trades SPY).
        let others = histories.filter { $0.symbol != benchmark.symbol && $0.count > 0 }
        let universe = others.isEmpty ? [benchmark] : others
        let market = AlignedMarket(universe)
        let state = PolicyState()
        let backtester = PortfolioBacktester(execution: settings.execution, initialCash: settings.initialCash, schedule: .everyBars(1),
                                             constraints: settings.constraints,
                                             planner: .init(minimumOrderNotional: 10, driftThreshold: settings.driftThreshold, buyCostBuffer: 0.005),
                                             warmUp: settings.warmUp)
        let output = try backtester.run(PolicyStrategy(state: state), market: market,
                                        sizing: PolicySizing(settings: settings, state: state, regimes: regimes, benchmarkClose: benchmarkClose),
                                        cancellation: cancellation)
        let start = min(settings.warmUp, max(output.result.timestamps.count - 1, 0))
        let dates = Array(output.result.timestamps[start...]), equity = Array(output.result.equity[start...])
        func figures(_ equity: [Double], _ result: BacktestResult?) -> Figures {
            let metrics = PerformanceMetrics(equity: equity, tradedNotional: result?.tradedNotional ?? 0)
            func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }
            return Figures(totalReturn: finite(metrics.totalReturn), cagr: finite(metrics.cagr), sharpe: finite(metrics.sharpe),
                           maxDrawdown: finite(metrics.maxDrawdown), turnover: finite(metrics.turnover), costs: finite(result?.commissions ?? 0))
        }
        // Buy-and-hold of the benchmark over the decided days.
        let first = dates.first ?? benchmark.timestamps[0]
        let held = dates.compactMap { benchmarkClose[$0] }
        let benchmarkEquity = held.first.map { base in held.map { settings.initialCash * $0 / base } } ?? []
        var fixed: [String: Figures] = [:]
        for kind in [StrategyKind.momentum, .breakout, .meanReversion, .balanced, .lowVolatility] {
            try cancellation.checkpoint()
            let replay = try backtester.run(PredictedReturnStrategy(kind: kind), market: market, cancellation: cancellation)
            fixed[kind.rawValue] = figures(Array(replay.result.equity[start...]), replay.result)
        }
        let counts = state.counts()
        let report = Report(from: first, to: dates.last ?? first, policy: figures(equity, output.result), benchmark: figures(benchmarkEquity, nil),
                            fixed: fixed, switches: counts.switches, demotions: counts.demotions, derisks: counts.derisks,
                            daysInRegime: counts.daysInRegime, daysInStrategy: counts.daysInStrategy)
        return (report, output.result)
    }
}

/// What the day's decision needs from the days before: the replay's values, the benchmark's closes, the running
/// strategy and its start, a demotion, de-risking, and what was counted.
final class PolicyState: Sendable {
    struct Values {
        var values: [Double] = []
        var benchmark: [Double?] = []
        var strategy: StrategyKind?
        var since: Date?
        var sinceIndex = 0
        var demoted: StrategyKind?
        var demotedUntil = Date.distantPast
        var derisked = false
        var switches = 0, demotions = 0, derisks = 0
        var daysInRegime: [String: Int] = [:], daysInStrategy: [String: Int] = [:]
    }

    let values = Mutex(Values())

    var strategy: StrategyKind? { values.withLock { $0.strategy } }

    func counts() -> (switches: Int, demotions: Int, derisks: Int, daysInRegime: [String: Int], daysInStrategy: [String: Int]) {
        values.withLock { ($0.switches, $0.demotions, $0.derisks, $0.daysInRegime, $0.daysInStrategy) }
    }
}

/// Decides each day (the engine asks it before the targets, with the portfolio's value): risk, demotion, regime,
/// selection. Returns the risk factor the selector chose (less than 1 when de-risking into cash).
struct PolicySizing: RebalanceSizing {
    let settings: AutonomousPolicyReplay.Settings
    let state: PolicyState
    let regimes: [Date: RegimeDay]
    let benchmarkClose: [Date: Double]

    mutating func factor(at date: Date, value: Double) -> Double {
        let settings = self.settings, regime = regimes[date], close = benchmarkClose[date]
        return state.values.withLock { s in
            s.values.append(value)
            s.benchmark.append(close)
            // Risk limits against the replay's own high-water mark.
            let monitor = AccountRiskMonitor(maxDrawdown: settings.maxDrawdown, maxVolatility: settings.maxVolatility)
            let risk = monitor.assess(values: Array(s.values.suffix(monitor.volatilityWindow + 1)), highWaterMark: s.values.max(),
                                      currentlyDerisked: s.derisked)
            let wasDerisked = s.derisked
            s.derisked = risk.breached || (wasDerisked && !risk.recovered)
            if s.derisked && !wasDerisked { s.derisks += 1 }
            // Demotion on evidence: the running strategy's daily returns over the benchmark's since it began.
            if let running = s.strategy, s.values.count - s.sinceIndex > settings.minimumJudgedDays {
                let values = Array(s.values[s.sinceIndex...]), closes = Array(s.benchmark[s.sinceIndex...])
                let returns = zip(values, values.dropFirst()).map { $0 > 0 ? $1 / $0 - 1 : 0 }
                let benchmarkReturns: [Double?] = zip(closes, closes.dropFirst()).map { a, b in
                    if let a, let b, a > 0 { b / a - 1 } else { nil }
                }
                let window = LivePerformance(returns: returns, benchmark: benchmarkReturns)
                if let t = window.excessTStatistic, t <= settings.demotionTStatistic, s.demoted != running || s.demotedUntil <= date {
                    s.demoted = running
                    s.demotedUntil = date.addingTimeInterval(settings.demotionDays * 86_400)
                    s.demotions += 1
                }
            }
            let inputs = StrategySelector.Inputs(
                regime: regime?.regime, regimeConfidence: regime?.confidence ?? 0, goalStrategy: nil, goalFactor: 1, goalReason: nil,
                portfolioStrategy: settings.portfolioStrategy, modelDeployed: false, override: nil, overrideReason: nil, derisked: s.derisked,
                deriskAction: settings.deriskAction, deriskReason: s.derisked ? risk.reason : nil, current: s.strategy, currentSince: s.since,
                demoted: s.demotedUntil > date ? s.demoted : nil, now: date)
            let decision = StrategySelector(settings: settings.selector).select(inputs)
            if decision.strategy != s.strategy {
                if s.strategy != nil { s.switches += 1 }
                s.strategy = decision.strategy
                s.since = date
                s.sinceIndex = s.values.count - 1
            }
            s.daysInRegime[regime?.regime.rawValue ?? "unknown", default: 0] += 1
            s.daysInStrategy[decision.strategy.rawValue, default: 0] += 1
            return decision.riskFactor
        }
    }
}

/// Trades the strategy the day's decision chose, through the live construction.
struct PolicyStrategy: PortfolioStrategy {
    let name = "autonomous"
    let state: PolicyState

    func targetWeights(_ market: MarketView, constraints: PortfolioConstraints) -> [String: Double] {
        guard let kind = state.strategy else { return [:] }
        return PredictedReturnStrategy(kind: kind).targetWeights(market, constraints: constraints)
    }
}
