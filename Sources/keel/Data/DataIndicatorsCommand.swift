import ArgumentParser
import Foundation
import KeelCore
import KeelServices

struct DataIndicatorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "indicators", abstract: "Write every indicator of a symbol's stored bars as CSV.")

    @OptionGroup var database: DatabaseOptions

    @ArgumentParser.Option(help: "The symbol.")
    var symbol: String

    @ArgumentParser.Option(help: "Interval of the bars.")
    var interval: IntervalOption = .day

    @ArgumentParser.Option(help: "The CSV file to write.")
    var out: String

    func run() async throws {
        let rows = try await CLIApplication.run(database: database) { services in
            try await services.marketData.indicators(symbol: symbol, interval: interval.rawValue, from: nil, to: nil)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = rows.intraday ? [.withInternetDateTime] : [.withFullDate]
        var text = (rows.intraday ? "timestamp," : "date,") + IndicatorTable.columns.joined(separator: ",") + "\n"
        for i in rows.timestamps.indices {
            text += formatter.string(from: rows.timestamps[i])
            for column in rows.columns { text += "," + BarCSV.format(column[i]) }
            text += "\n"
        }
        try text.write(toFile: out, atomically: true, encoding: .utf8)
        print("\(out): \(rows.timestamps.count) rows, \(IndicatorTable.columns.count) columns")
    }
}
