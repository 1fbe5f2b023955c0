import ArgumentParser
import Foundation
import KeelCore
import KeelServices

/// Where update and backfill read from: CSV files, or the simulator (the demo's source).
struct SourceOptions: ParsableArguments {
    @ArgumentParser.Option(name: .customLong("csv"), help: "A CSV file or a folder of CSV files.")
    var csvPath: String?

    @ArgumentParser.Option(help: "Symbol of a single CSV file (default: from the file name).")
    var symbol: String?

    @ArgumentParser.Option(help: "Interval of the bars (default: from the file name or the timestamps).")
    var interval: IntervalOption?

    @ArgumentParser.Option(name: .customLong("as-of"), help: "Publication date of a fundamentals file whose name has none (YYYY-MM-DD).")
    var asOf: String?

    @ArgumentParser.Option(help: "Simulator seed, when reading from the simulator.")
    var seed: UInt64 = DemoMarketSeeder.defaultSeed

    @ArgumentParser.Option(name: .customLong("schwab-client-id"), help: "Read daily price history from Schwab with this client's login.")
    var schwabClientID: Int?

    @ArgumentParser.Option(help: "Symbols to fetch from Schwab, comma-separated.")
    var symbols: String?

    @ArgumentParser.Option(help: "Years of Schwab history: 1, 2, 3, 5, 10, 15 or 20.")
    var years = 1

    func validate() throws {
        if let asOf, DateText.day(asOf) == nil { throw ValidationError("--as-of must be a real date like 2018-02-08 (YYYY-MM-DD)") }
    }

    func provider(clock: any KeelClock, requireCSV: Bool, schwab: SchwabLinkService? = nil) throws -> any MarketDataProvider {
        if let schwabClientID {
            guard let schwab else { throw ValidationError("Schwab is not configured: set KEEL_SCHWAB_APP_KEY, KEEL_SCHWAB_APP_SECRET and KEEL_PUBLIC_URL") }
            let list = (symbols ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return SchwabPriceHistoryProvider(clientID: schwabClientID, symbols: list, years: years, schwab: schwab)
        }
        if let csvPath {
            return CSVMarketDataProvider(path: csvPath, symbolOverride: symbol, intervalOverride: interval?.rawValue, asOfOverride: asOf)
        }
        if requireCSV { throw ValidationError("--csv PATH (or --schwab-client-id N --symbols A,B) is required") }
        return SimulatorMarketDataProvider(seed: seed, historyDays: 760, symbols: nil, clock: clock)
    }
}

func parseDate(_ text: String, option: String) throws -> Date {
    guard let parsed = DateText.instant(text) else {
        throw ValidationError("\(option) must be a real date like 2015-01-31 or a date-time like 2015-01-31T16:00:00Z")
    }
    return parsed.date
}
