import ArgumentParser
import Foundation
import KeelCore

/// Writes simulated daily bars as CSV files in the market-data format: demo data for other tools, and the
/// input of the TA-Lib reference fixtures.
struct DataSimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Write simulated daily bars as CSV files.")

    @ArgumentParser.Option(help: "Comma-separated symbols of Keel's reference instruments (default: all).")
    var symbols: String?

    @ArgumentParser.Option(help: "Calendar days to simulate.")
    var days = 400

    @ArgumentParser.Option(help: "Random seed; the same seed writes the same bars.")
    var seed: UInt64 = 2026

    @ArgumentParser.Option(help: "First simulated day (YYYY-MM-DD).")
    var start = "2024-01-01"

    @ArgumentParser.Option(help: "Folder to write <SYMBOL>.csv files into.")
    var out: String

    func run() async throws {
        guard let first = DateText.day(start)?.date else { throw ValidationError("--start must be a real date like 2024-01-01 (YYYY-MM-DD)") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
        let wanted = symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() } }
        var entries: [ReferenceInstruments.Entry] = []
        for symbol in wanted ?? ReferenceInstruments.all.map(\.instrument.symbol) {
            guard let entry = ReferenceInstruments.entry(for: symbol) else {
                throw ValidationError("unknown symbol \(symbol); known: \(ReferenceInstruments.all.map(\.instrument.symbol).joined(separator: ","))")
            }
            entries.append(entry)
        }
        let output = MarketSimulator(configuration: .init(seed: seed, start: first, calendarDays: days)).simulate(entries.map(\.simulatedAsset))
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for entry in entries {
            guard let series = output.bars[entry.instrument.symbol] else { continue }
            let path = URL(fileURLWithPath: out).appendingPathComponent("\(entry.instrument.symbol).csv")
            try BarCSV.write(series).write(to: path, atomically: true, encoding: .utf8)
            print("\(path.path): \(series.count) bars")
        }
    }
}
