import ArgumentParser
import Foundation
import KeelCore
import KeelAPI
import KeelServices
import KeelWeb
import KeelWorkspace

/// Options every backtest and sweep shares.
struct BacktestOptions: ParsableArguments {
    @ArgumentParser.Option(help: "sma-cross, ema-cross, momentum, breakout, mean-reversion, balanced, equal-weight, buy-and-hold, or model:N.")
    var strategy: StrategyOption

    @ArgumentParser.Option(help: "A CSV file or folder (instead of stored bars).")
    var csv: String?

    @ArgumentParser.Option(help: "Symbols of stored bars (or a filter on the CSV folder), comma-separated.")
    var symbols: String?

    @ArgumentParser.Option(help: "First day (YYYY-MM-DD).")
    var from: String?

    @ArgumentParser.Option(help: "Last day (YYYY-MM-DD).")
    var to: String?

    @ArgumentParser.Option(help: "Starting cash.")
    var cash = 100_000.0

    @ArgumentParser.Option(name: .customLong("commission-per-order"), help: "Commission per fill.")
    var commissionPerOrder: Double?

    @ArgumentParser.Option(name: .customLong("commission-bps"), help: "Commission in basis points of notional.")
    var commissionBps: Double?

    @ArgumentParser.Flag(name: .customLong("schwab-fees"), help: "Schwab's equity fees: no commission, SEC and FINRA fees on sells.")
    var schwabFees = false

    @ArgumentParser.Option(name: .customLong("slippage-bps"), help: "Slippage in basis points (portfolio strategies: 5 unless given).")
    var slippageBps: Double?

    @ArgumentParser.Option(help: "close or next-open (portfolio strategies: next-open unless given; close is optimistic).")
    var fill: FillTiming?

    @ArgumentParser.Option(help: "Benchmark symbol (buy and hold) for alpha and beta.")
    var benchmark: String?

    @ArgumentParser.Option(help: "Crossover: fast period.") var fast = 10
    @ArgumentParser.Option(help: "Crossover: slow period.") var slow = 30
    @ArgumentParser.Option(help: "Crossover: shares held while long.") var shares = 100.0
    @ArgumentParser.Option(help: "Momentum: lookback bars.") var lookback = 252
    @ArgumentParser.Option(help: "Breakout and mean reversion: window bars.") var window = 20
    @ArgumentParser.Option(name: .customLong("rebalance-every"), help: "Rebalance every N bars (default monthly).") var rebalanceEvery: Int?
    @ArgumentParser.Option(name: .customLong("max-positions")) var maxPositions = 10
    @ArgumentParser.Option(name: .customLong("max-weight")) var maxWeight = 0.25
    @ArgumentParser.Option(name: .customLong("cash-buffer")) var cashBuffer = 0.02
    @ArgumentParser.Option(name: .customLong("goal"), help: "Replay a periodic return goal against constant sizing, e.g. monthly_return:5 (+5% a month).")
    var goal: String?
    @ArgumentParser.Flag(name: .customLong("tax"), help: "Replay lots, wash sales and taxes: the naive policy beside the tax-aware one (after-tax returns).")
    var tax = false
    @ArgumentParser.Option(name: .customLong("short-term-rate"), help: "With --tax: the rate on short-term gains (0.37 = 37%).") var shortTermRate = 0.37
    @ArgumentParser.Option(name: .customLong("long-term-rate"), help: "With --tax: the rate on long-term gains.") var longTermRate = 0.20
    @ArgumentParser.Flag(inversion: .prefixedNo,
                         help: "With --tax: the tax-aware policy harvests losses into the most correlated name it neither holds nor wants.")
    var harvest = true
    @ArgumentParser.Option(name: .customLong("drift-tax-tolerance"),
                           help: "With --tax: the tax-aware policy's drift-tax tolerance, the yearly cost of drift as a share of the value left over target (default 0.10); a drift sale waits for a short-term gain to turn long-term when the rate cut saves more than that over the wait.")
    var driftTaxTolerance: Double?
    @ArgumentParser.Flag(name: .customLong("allow-wash-sales"), help: "With --tax: the tax-aware policy lets wash sales happen (its other rules stay).")
    var allowWashSales = false
    @ArgumentParser.Option(name: .customLong("tax-draws"),
                           help: "With --tax: also compare the policies on this many seeded sub-universes of the symbols (1-200).")
    var taxDraws: Int?
    @ArgumentParser.Option(name: .customLong("draw-size"), help: "With --tax-draws: symbols in each sub-universe (default: half of them).")
    var drawSize: Int?

    func request() throws -> BacktestRequest {
        func date(_ text: String?, _ name: String) throws -> Date? {
            try text.map { try parseDate($0, option: name) }
        }
        let commissionGiven = commissionPerOrder != nil || commissionBps != nil || schwabFees
        let live = BacktestRequest.liveLikeDefaults(strategy: strategy.name, fill: fill, slippageBps: slippageBps, commissionGiven: commissionGiven)
        var request = BacktestRequest(
            strategy: strategy.name, symbols: symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? [],
            from: try date(from, "--from"), to: try date(to, "--to").map { $0.addingTimeInterval(86_399) }, csvPath: csv, cash: cash, fill: live.fill,
            commissionPerOrder: commissionPerOrder, commissionBps: commissionBps, schwabFees: schwabFees || live.schwabFees, slippageBps: live.slippageBps,
            benchmark: benchmark,
            fast: fast, slow: slow, shares: shares, lookback: lookback, window: window, rebalanceEvery: rebalanceEvery, maxPositions: maxPositions,
            maxWeight: maxWeight, cashBuffer: cashBuffer)
        if let goal {
            let parts = goal.split(separator: ":")
            guard parts.count == 2, let target = Double(parts[1]) else {
                throw ValidationError("--goal must look like monthly_return:5 (goal type, colon, percent target)")
            }
            request.goalType = String(parts[0])
            request.goalTarget = target
        }
        request.tax = tax
        request.harvest = harvest
        request.shortTermRate = shortTermRate
        request.longTermRate = longTermRate
        request.taxDraws = taxDraws
        request.drawSize = drawSize
        request.driftTaxTolerance = driftTaxTolerance
        request.allowWashSales = allowWashSales ? true : nil
        do { try request.validate() } catch let error as ServiceError { throw ValidationError("\(error.field.map { "--\($0.replacingOccurrences(of: "_", with: "-")): " } ?? "")\(error.message)") }
        return request
    }
}

struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backtest", abstract: "Replay a strategy on history; write result.json and an HTML report.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var options: BacktestOptions

    @ArgumentParser.Option(help: "Where to write the JSON result.")
    var out: String

    @ArgumentParser.Option(help: "Where to write the HTML report.")
    var report: String?

    func run() async throws {
        let request = try options.request()
        let outcome = try await CLIApplication.run(database: database) { services in try await BacktestRunner(context: services.context).run(request) }
        try BacktestOutcome.encoder.encode(outcome).write(to: URL(fileURLWithPath: out))
        if let report {
            let row = BacktestsPage.Model.Row(backtestID: "cli", strategy: outcome.strategy, symbols: outcome.symbols.prefix(6).joined(separator: ", "),
                                         status: "succeeded", createdBy: "keel backtest", createdAt: Date(), error: nil)
            try BacktestReportPage.render(BacktestsQuery.report(outcome, row: row)).write(toFile: report, atomically: true, encoding: .utf8)
        }
        let m = outcome.metrics
        print(String(format: "%@: final equity %.2f, %d trades, total return %.2f%%, CAGR %.2f%%, Sharpe %.2f, max drawdown %.2f%% (%d bars in %.1f ms)",
                     outcome.strategy, outcome.finalEquity, outcome.trades, m.totalReturn * 100, m.cagr * 100, m.sharpe, m.maxDrawdown * 100,
                     outcome.bars, outcome.elapsedMilliseconds))
        if let replay = outcome.goalReplay {
            for (name, path) in [("goal-aware", replay.goalAware), ("constant", replay.constant)] {
                print(String(format: "%@ sizing: %d of %d periods reached +%.2f%%, total return %.2f%%, max drawdown %.2f%%, worst period %.2f%%, mean factor %.2f",
                             name, path.periodsHit, path.periods, replay.goalTarget, path.totalReturn * 100, path.maxDrawdown * 100,
                             path.worstPeriodReturn * 100, path.meanFactor))
            }
        }
        if let tax = outcome.tax {
            print(String(format: "taxes at %.0f%% short term, %.0f%% long term (not tax advice):", tax.shortTermRate * 100, tax.longTermRate * 100))
            for (name, figures) in [("naive", tax.naive), ("tax-aware", tax.aware)] {
                let cash = outcome.initialCash
                print(String(format: "  %@: pre-tax %.2f%%, after tax %.2f%%, after tax and liquidation %.2f%% (realised short %.0f, long %.0f, wash-sale disallowed %.0f, taxes %.0f + %.0f on liquidation)",
                             name, (figures.preTaxFinal / cash - 1) * 100, (figures.afterTaxFinal / cash - 1) * 100, (figures.afterTaxLiquidatedFinal / cash - 1) * 100,
                             figures.shortTermGains, figures.longTermGains, figures.washSaleDisallowed, figures.taxesPaid, figures.liquidationTax)
                      + (figures.harvests.map { ", \($0) harvest(s)" } ?? "") + (figures.deferredPurchases.map { ", \($0) deferred purchase(s) made" } ?? ""))
            }
            if let naive = tax.naive.afterTaxFromAccountLiquidatedFinal, let aware = tax.aware.afterTaxFromAccountLiquidatedFinal {
                let cash = outcome.initialCash
                print(String(format: "  with each year's tax paid from the account (what was paid stops compounding), after liquidation: naive %.2f%%, tax-aware %.2f%%",
                             (naive / cash - 1) * 100, (aware / cash - 1) * 100))
            }
            if let draws = tax.draws {
                print("  on \(draws.draws.count) seeded sub-universes of \(draws.drawSize) symbols, after tax and liquidation:")
                for draw in draws.draws {
                    print(String(format: "    seed %llu: naive %.2f%%, tax-aware %.2f%% (%+.2f)", draw.seed, draw.naiveReturn, draw.awareReturn,
                                 draw.awareReturn - draw.naiveReturn) + (draw.harvests.map { ", \($0) harvest(s)" } ?? ""))
                }
                let outside = draws.summary
                print(String(format: "  tax-aware minus naive: mean %+.2f points, sd %.2f, t %.2f (draws overlap: not independent), tax-aware at least level in %d of %d",
                             outside.meanDifference, outside.differenceDeviation, outside.tStatistic, outside.awareAtLeastNaive, outside.draws))
                if let paid = draws.fromAccount {
                    print(String(format: "  with the tax paid from the account: mean %+.2f points, sd %.2f, t %.2f, tax-aware at least level in %d of %d",
                                 paid.meanDifference, paid.differenceDeviation, paid.tStatistic, paid.awareAtLeastNaive, paid.draws))
                }
            }
        }
        print("wrote \(out)" + (report.map { " and \($0)" } ?? ""))
    }
}

struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep", abstract: "Run a grid of crossover parameters in parallel and rank them.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var options: BacktestOptions

    @ArgumentParser.Option(name: .customLong("fast-values"), help: "Fast periods, comma-separated.")
    var fastValues = "5,10,15,20"

    @ArgumentParser.Option(name: .customLong("slow-values"), help: "Slow periods, comma-separated.")
    var slowValues = "30,50,100,200"

    @ArgumentParser.Option(help: "Metric to rank by: sharpe, sortino, cagr, total_return, calmar, max_drawdown.")
    var metric = "sharpe"

    @ArgumentParser.Option(help: "Rows to print.")
    var top = 10

    @ArgumentParser.Option(help: "Optional JSON file with every result.")
    var out: String?

    func run() async throws {
        guard BacktestRequest.signalStrategies.contains(options.strategy.name) else { throw ValidationError("sweep supports sma-cross and ema-cross") }
        let fasts = fastValues.split(separator: ",").compactMap { Int($0) }, slows = slowValues.split(separator: ",").compactMap { Int($0) }
        let grid = fasts.flatMap { f in slows.filter { $0 > f }.map { (f, $0) } }
        guard !grid.isEmpty else { throw ValidationError("no (fast, slow) pair with fast < slow") }
        let base = try options.request()
        for (fast, slow) in grid {
            var pair = base
            (pair.fast, pair.slow) = (fast, slow)
            do { try pair.validate() } catch let error as ServiceError { throw ValidationError("--fast-values/--slow-values (\(fast), \(slow)): \(error.message)") }
        }
        let series = try await CLIApplication.run(database: database) { services in
            try await BacktestRunner(context: services.context).load(base, symbols: base.symbols.map { $0.uppercased() })
        }
        guard let bars = series.first else { throw ValidationError("no bars for the request") }
        let exponential = options.strategy.name == "ema-cross", shares = base.shares, cash = base.cash, execution = base.execution
        let started = DispatchTime.now().uptimeNanoseconds
        let results = await ParameterSweep.run(grid) { pair -> (Int, Int, PerformanceMetrics, Double) in
            var strategy = MovingAverageCrossover(fast: pair.0, slow: pair.1, quantity: shares, exponential: exponential)
            let result = SignalBacktester(execution: execution, initialCash: cash).run(&strategy, series: bars)
            return (pair.0, pair.1, PerformanceMetrics(result: result), result.finalEquity)
        }
        // (Full metrics per pair here; the benchmark's sweep keeps only streaming statistics.)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        func value(_ m: PerformanceMetrics) -> Double {
            switch metric {
            case "sortino": m.sortino
            case "cagr": m.cagr
            case "total_return": m.totalReturn
            case "calmar": m.calmar
            case "max_drawdown": m.maxDrawdown
            default: m.sharpe
            }
        }
        let ranked = results.sorted { (value($0.2).isNaN ? -.infinity : value($0.2)) > (value($1.2).isNaN ? -.infinity : value($1.2)) }
        print(String(format: "%d backtests of %@ over %d bars in %.3f s (%.0f backtests/s); ranked by %@", grid.count, bars.symbol, bars.count, seconds,
                     Double(grid.count) / seconds, metric))
        print("fast\tslow\t\(metric)\tfinal_equity\ttrades")
        for row in ranked.prefix(top) { print(String(format: "%d\t%d\t%.4f\t%.2f\t%d", row.0, row.1, value(row.2), row.3, row.2.trades)) }
        if let out {
            let rows = ranked.map { ["fast": Double($0.0), "slow": Double($0.1), "final_equity": $0.3, metric: value($0.2), "trades": Double($0.2.trades)] as [String: Double] }
            try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]).write(to: URL(fileURLWithPath: out))
        }
    }
}
