import ArgumentParser
import KeelCore
import KeelServices

// Options with fixed choices are types, so `--help` lists the choices and the parser refuses anything else.

extension FillTiming: ExpressibleByArgument {}

enum SeverityOption: String, ExpressibleByArgument, CaseIterable {
    case warning, error, critical
}

enum IntervalOption: String, ExpressibleByArgument, CaseIterable {
    case day = "1d", hour = "1h", week = "1w", fourHours = "4h", thirtyMinutes = "30m", fifteenMinutes = "15m", fiveMinutes = "5m", minute = "1m"
}

/// A backtest strategy: one of the named ones, or `model:N` for model portfolio N.
struct StrategyOption: ExpressibleByArgument, Sendable {
    let name: String

    init?(argument: String) {
        let known = BacktestRequest.signalStrategies.union(BacktestRequest.portfolioStrategies)
        if known.contains(argument) {
            name = argument
        } else if argument.hasPrefix("model:"), let id = Int(argument.dropFirst("model:".count)), id > 0 {
            name = argument
        } else {
            return nil
        }
    }

    static var allValueStrings: [String] {
        BacktestRequest.signalStrategies.union(BacktestRequest.portfolioStrategies).sorted() + ["model:N"]
    }

    var defaultValueDescription: String { name }
}
