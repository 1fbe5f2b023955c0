import Foundation
import KeelCore
import KeelML
import KeelStore

/// Runs a backtest request on stored bars or CSV files with the engine and strategies the live path uses.
public struct BacktestRunner: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    /// The replay itself runs on the compute executor (never on the pool that serves HTTP), checking
    /// `cancellation` every few hundred bars.
    public func run(_ request: BacktestRequest, cancellation: CancellationCheck = .never) async throws -> BacktestOutcome {
        let request = try request.validated()
        var symbols = request.symbols.map { $0.uppercased() }
        var strategyName = request.strategy
        var modelStrategy: PredictedReturnStrategy?
        if request.strategy.hasPrefix("model:") {
            guard let id = Int(request.strategy.dropFirst("model:".count)),
                  let portfolio = try await context.database.read({ try await $0.referenceData.modelPortfolio(id) }) else {
                throw ServiceError.invalid("strategy", "model:N needs an existing model portfolio id")
            }
            modelStrategy = PredictedReturnStrategy(kind: portfolio.strategy)
            strategyName = "model:\(portfolio.name)"
            if symbols.isEmpty { symbols = portfolio.universe }
        }
        let series = try await load(request, symbols: symbols)
        guard !series.isEmpty else { throw ServiceError(.validation, code: "no_data", message: "no bars for \(symbols.joined(separator: ", ")) in that range", field: "symbols") }
        var benchmarkSeries: BarSeries?
        if let benchmark = request.benchmark {
            benchmarkSeries = try await load(request, symbols: [benchmark.uppercased()]).first
        }
        if request.benchmark != nil, benchmarkSeries == nil {
            throw ServiceError.invalid("benchmark", "no bars for the benchmark \(request.benchmark ?? "")")
        }
        let (bars, benchmark, model, name) = (series, benchmarkSeries, modelStrategy, strategyName)
        return try await context.compute.run {
            try Self.replay(request, series: bars, benchmarkSeries: benchmark, modelStrategy: model, strategyName: name, cancellation: cancellation)
        }
    }

    /// The CPU-bound part: the engine over the loaded bars, and the figures.
    static func replay(_ request: BacktestRequest, series: [BarSeries], benchmarkSeries: BarSeries?, modelStrategy: PredictedReturnStrategy?,
                       strategyName: String, cancellation: CancellationCheck) throws -> BacktestOutcome {
        var series = series
        try cancellation.checkpoint()
        let started = DispatchTime.now().uptimeNanoseconds
        let result: BacktestResult
        var goalReplay: GoalReplayComparison?
        var taxReplay: TaxReplayComparison?
        var autonomous: AutonomousPolicyReplay.Report?
        if request.strategy == BacktestRequest.autonomous, let benchmark = benchmarkSeries {
            var settings = AutonomousPolicyReplay.Settings()
            settings.execution = request.execution
            settings.initialCash = request.cash
            settings.constraints = PortfolioConstraints(maxPositions: request.maxPositions, maxWeight: request.maxWeight, cashBuffer: request.cashBuffer)
            let replayed: (report: AutonomousPolicyReplay.Report, result: BacktestResult)
            do {
                replayed = try AutonomousPolicyReplay(settings: settings).run(histories: series, benchmark: benchmark, cancellation: cancellation)
            } catch let error as AutonomousPolicyReplay.ReplayError {
                throw ServiceError.invalid("from", error.description)
            }
            result = replayed.result
            autonomous = replayed.report
            let others = series.filter { $0.symbol != benchmark.symbol }
            series = others.isEmpty ? [benchmark] : others
        } else if BacktestRequest.signalStrategies.contains(request.strategy) {
            let bars = series[0]
            var strategy = MovingAverageCrossover(fast: request.fast, slow: request.slow, quantity: request.shares, exponential: request.strategy == "ema-cross")
            result = SignalBacktester(execution: request.execution, initialCash: request.cash).run(&strategy, series: bars)
            series = [bars]
        } else {
            let strategy: any PortfolioStrategy = modelStrategy ?? Self.portfolioStrategy(request)
            let schedule: RebalanceSchedule = request.strategy == "buy-and-hold" ? .once : request.rebalanceEvery.map { .everyBars($0) } ?? .monthly
            let engine = PortfolioBacktester(execution: request.execution, initialCash: request.cash, schedule: schedule,
                                             constraints: PortfolioConstraints(maxPositions: request.maxPositions, maxWeight: request.maxWeight,
                                                                               cashBuffer: request.cashBuffer),
                                             warmUp: modelStrategy == nil ? min(max(request.lookback, request.window), 252) : 252)
            let market = AlignedMarket(series)
            if let typeText = request.goalType, let type = GoalType(rawValue: typeText), let target = request.goalTarget {
                // The goal replays react within a period: rebalance weekly unless told otherwise.
                var weekly = engine
                if request.rebalanceEvery == nil { weekly.schedule = .everyBars(5) }
                let aware = try weekly.run(strategy, market: market, sizing: GoalReplayPolicy(type: type, target: target), cancellation: cancellation)
                let constant = try weekly.run(strategy, market: market, cancellation: cancellation)
                result = aware.result
                goalReplay = GoalReplayComparison(
                    goalType: type.rawValue, goalTarget: target,
                    goalAware: Self.path(aware, type: type, target: target), constant: Self.path(constant, type: type, target: target),
                    factors: aware.factors.map { GoalReplayComparison.Factor(date: $0.date, factor: $0.factor) })
            } else if request.tax {
                // The same strategy twice: books kept and taxes computed; the second run also applies the tax rules.
                var settings = TaxAwareRebalance.Settings(rates: TaxRates(shortTerm: Decimal(request.shortTermRate), longTerm: Decimal(request.longTermRate)))
                if let tolerance = request.driftTaxTolerance { settings.driftTaxTolerance = tolerance }
                settings.allowWashSales = request.allowWashSales ?? false
                var naiveEngine = engine, awareEngine = engine
                naiveEngine.tax = TaxReplay(settings: settings, aware: false)
                awareEngine.tax = TaxReplay(settings: settings, aware: true,
                                            harvesting: request.harvest ? TaxLossHarvesting.Settings(substitutes: [:], rates: settings.rates) : nil)
                let naive = try naiveEngine.run(strategy, market: market, cancellation: cancellation)
                let aware = try awareEngine.run(strategy, market: market, cancellation: cancellation)
                result = naive.result
                if let naiveTax = naive.tax, let awareTax = aware.tax {
                    taxReplay = TaxReplayComparison(shortTermRate: request.shortTermRate, longTermRate: request.longTermRate, naive: naiveTax, aware: awareTax)
                }
                if let count = request.taxDraws {
                    taxReplay?.draws = try Self.taxDraws(count, size: request.drawSize, series: series, strategy: strategy, naive: naiveEngine,
                                                         aware: awareEngine, cash: request.cash, cancellation: cancellation)
                }
            } else {
                result = try engine.run(strategy, market: market, cancellation: cancellation).result
            }
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
        let benchmarkCurve = benchmarkSeries.map { Self.benchmarkEquity($0, on: result.timestamps, cash: request.cash) }
        let metrics = PerformanceMetrics(result: result, benchmark: benchmarkCurve)
        let benchmarkMetrics = benchmarkCurve.map { PerformanceMetrics(equity: $0, barsInMarket: $0.count) }
        return BacktestOutcome(
            strategy: strategyName, symbols: series.map(\.symbol), initialCash: request.cash, finalEquity: result.finalEquity, trades: result.trades.count,
            fills: result.fills, commissions: result.commissions, metrics: metrics, benchmark: request.benchmark?.uppercased(), benchmarkMetrics: benchmarkMetrics,
            equityCurve: zip(result.timestamps, result.equity).map { BacktestOutcome.Point(date: $0, equity: $1) },
            benchmarkCurve: benchmarkCurve.map { zip(result.timestamps, $0).map { BacktestOutcome.Point(date: $0, equity: $1) } },
            tradeList: result.trades,
            goalReplay: goalReplay, tax: taxReplay, bars: result.timestamps.count * max(series.count, 1), elapsedMilliseconds: elapsed,
            execution: request.fillsLabel, autonomous: autonomous)
    }

    /// The naive and tax-aware engines on `count` seeded sub-universes (seeds 1...count) of `size` symbols each.
    static func taxDraws(_ count: Int, size: Int?, series: [BarSeries], strategy: any PortfolioStrategy, naive: PortfolioBacktester,
                         aware: PortfolioBacktester, cash: Double, cancellation: CancellationCheck) throws -> TaxDrawComparison {
        let symbols = series.map(\.symbol)
        let drawSize = min(size ?? max(2, symbols.count / 2), symbols.count)
        let bySymbol = Dictionary(series.map { ($0.symbol, $0) }, uniquingKeysWith: { first, _ in first })
        var draws: [TaxDrawComparison.Draw] = []
        for seed in 1...UInt64(max(count, 1)) {
            try cancellation.checkpoint()
            let chosen = TaxDrawComparison.sample(symbols, size: drawSize, seed: seed)
            let market = AlignedMarket(chosen.compactMap { bySymbol[$0] })
            guard let naiveTax = try naive.run(strategy, market: market, cancellation: cancellation).tax,
                  let awareTax = try aware.run(strategy, market: market, cancellation: cancellation).tax else { continue }
            draws.append(.init(seed: seed, symbols: chosen, naiveReturn: (naiveTax.afterTaxLiquidatedFinal / cash - 1) * 100,
                               awareReturn: (awareTax.afterTaxLiquidatedFinal / cash - 1) * 100, harvests: awareTax.harvests,
                               naiveFromAccountReturn: naiveTax.afterTaxFromAccountLiquidatedFinal.map { ($0 / cash - 1) * 100 },
                               awareFromAccountReturn: awareTax.afterTaxFromAccountLiquidatedFinal.map { ($0 / cash - 1) * 100 }))
        }
        return TaxDrawComparison(drawSize: drawSize, draws: draws)
    }

    static func path(_ output: PortfolioBacktester.Output, type: GoalType, target: Double) -> GoalReplayComparison.Path {
        let result = output.result
        let metrics = PerformanceMetrics(result: result, benchmark: nil)
        let periods = GoalReplayPolicy.periodReturns(type: type, timestamps: result.timestamps, equity: result.equity)
        let factors = output.factors.map(\.factor)
        return GoalReplayComparison.Path(
            finalEquity: result.finalEquity, totalReturn: metrics.totalReturn, maxDrawdown: metrics.maxDrawdown,
            annualVolatility: metrics.annualVolatility, sharpe: metrics.sharpe, periods: periods.count,
            periodsHit: periods.filter { $0.periodReturn * 100 >= target - 1e-9 }.count,
            worstPeriodReturn: periods.map(\.periodReturn).min() ?? 0,
            meanFactor: factors.isEmpty ? 1 : factors.reduce(0, +) / Double(factors.count),
            equityCurve: zip(result.timestamps, result.equity).map { BacktestOutcome.Point(date: $0, equity: $1) })
    }

    static func portfolioStrategy(_ request: BacktestRequest) -> any PortfolioStrategy {
        switch request.strategy {
        case "momentum": MomentumStrategy(lookback: request.lookback, skip: 21)
        case "breakout": BreakoutStrategy(window: request.window)
        case "mean-reversion": MeanReversionStrategy(window: request.window)
        case "equal-weight": BalancedStrategy(inverseVolatility: false)
        case "buy-and-hold": BuyAndHoldStrategy()
        default: BalancedStrategy(inverseVolatility: true)
        }
    }

    /// Bars from CSV (every file, or those of the requested symbols) or from the store, cut to the range.
    public func load(_ request: BacktestRequest, symbols: [String]) async throws -> [BarSeries] {
        var series: [BarSeries]
        if let path = request.csvPath {
            let provider = CSVMarketDataProvider(path: path)
            let items: [ProviderItem]
            do { items = try await provider.items().filter { $0.kind == .bars } } catch let error as ProviderError {
                throw ServiceError(.validation, code: "invalid_source", message: error.description, field: "csv")
            }
            series = []
            for item in items where symbols.isEmpty || symbols.contains(item.symbol) {
                do { series.append(try await provider.fetchBars(item).series) } catch let error as ProviderError {
                    throw ServiceError(.validation, code: "invalid_source", message: error.description, field: "csv")
                }
            }
        } else {
            series = try await context.database.read { try await $0.marketBars.history(symbols: symbols, since: request.from ?? .distantPast) }
        }
        return series.map { s in
            var cut = request.to.map { s.truncated(through: $0) } ?? s
            if let from = request.from, let first = cut.timestamps.firstIndex(where: { $0 >= from }), first > 0 {
                cut = BarSeries(symbol: s.symbol, timestamps: Array(cut.timestamps[first...]), open: Array(cut.open[first...]), high: Array(cut.high[first...]),
                                low: Array(cut.low[first...]), close: Array(cut.close[first...]), volume: Array(cut.volume[first...]))
            }
            return cut
        }.filter { !$0.isEmpty }
    }

    /// Cash invested in the benchmark at the first bar and held, on the backtest's calendar.
    static func benchmarkEquity(_ series: BarSeries, on dates: [Date], cash: Double) -> [Double] {
        guard let first = series.close.first(where: { $0 > 0 }) else { return dates.map { _ in cash } }
        return dates.map { date in
            guard let i = series.lastIndex(onOrBefore: date) else { return cash }
            return cash * series.close[i] / first
        }
    }
}
