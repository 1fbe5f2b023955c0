import ArgumentParser
import Foundation
import KeelCore
import KeelServices

/// `keel regime --symbol SPY [--from --to] [--json]`: the regime history of a symbol from its stored bars.
struct RegimeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "regime", abstract: "Classify each day of a symbol's stored bars into a market regime.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The symbol.") var symbol = "SPY"
    @Option(help: "First day, YYYY-MM-DD.") var from: String?
    @Option(help: "Last day, YYYY-MM-DD.") var to: String?
    @Flag(help: "Print a JSON array of {date, regime, confidence, indicated, inputs}.") var json = false

    func run() async throws {
        let start = try from.map { try Self.day($0, option: "--from") }
        let end = try to.map { try Self.day($0, option: "--to").addingTimeInterval(86_399) }
        let operatorPrincipal = Principal(userID: "cli", role: .admin, clientID: nil)
        let days = try await CLIApplication.run(database: database) {
            try await $0.regimes.history(symbol: symbol, from: start, to: end, by: operatorPrincipal)
        }
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withFullDate]
        if json {
            func finite(_ value: Double?) -> Any { value.flatMap { $0.isFinite ? $0 : nil } ?? NSNull() }
            let rows: [[String: Any]] = days.map { day in
                ["date": dates.string(from: day.date), "regime": day.regime.rawValue, "confidence": finite(day.confidence),
                 "indicated": day.indicated.rawValue,
                 "inputs": ["close": finite(day.inputs.close), "moving_average_200": finite(day.inputs.movingAverage),
                            "moving_average_slope": finite(day.inputs.movingAverageSlope), "volatility": finite(day.inputs.volatility),
                            "volatility_percentile": finite(day.inputs.volatilityPercentile), "drawdown": finite(day.inputs.drawdown),
                            "breadth": finite(day.inputs.breadth)]]
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        for day in days {
            print(String(format: "%@  %-15@ %.2f  vol pct %.2f  drawdown %6.1f%%", dates.string(from: day.date), day.regime.rawValue as NSString,
                         day.confidence, day.inputs.volatilityPercentile, day.inputs.drawdown * 100))
        }
    }

    static func day(_ text: String, option: String) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard text.count == 10, let date = formatter.date(from: text) else { throw ValidationError("\(option) must be a date, YYYY-MM-DD") }
        return date
    }
}
