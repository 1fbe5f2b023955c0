import Foundation
import KeelCore

/// Bars and fundamentals from CSV files: one file, or every `.csv` below a folder. The symbol comes from the
/// file name (`AAPL.csv`, `bitstamp_BTCUSD_1d.csv` -> BTCUSD) unless overridden; the interval from the name
/// (`_1h`), the override, or the spacing of the timestamps. A wide price matrix (`date,AAPL,AMD,...`: daily closes,
/// one column per symbol) gives one daily series per column (`WideCloseCSV`).
public struct CSVMarketDataProvider: MarketDataProvider {
    public let path: String
    public let symbolOverride: String?
    public let intervalOverride: String?
    /// Publication date of a fundamentals file when its name carries none.
    public let asOfOverride: String?

    /// Where files are parsed (CPU-bound: off the cooperative pool).
    let compute: ComputeExecutor

    public init(path: String, symbolOverride: String? = nil, intervalOverride: String? = nil, asOfOverride: String? = nil,
                compute: ComputeExecutor = .shared) {
        self.path = path
        self.symbolOverride = symbolOverride
        self.intervalOverride = intervalOverride
        self.asOfOverride = asOfOverride
        self.compute = compute
    }

    public var descriptor: ProviderDescriptor { .csv(path: path, symbol: symbolOverride, interval: intervalOverride, asOf: asOfOverride) }

    public func items() async throws -> [ProviderItem] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProviderError("\(path) does not exist")
        }
        let files: [String]
        if isDirectory.boolValue {
            guard symbolOverride == nil else { throw ProviderError("--symbol applies to a single file, not a folder") }
            let enumerator = FileManager.default.enumerator(atPath: path)
            files = (enumerator?.allObjects as? [String] ?? []).filter { $0.lowercased().hasSuffix(".csv") }.sorted()
                .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
        } else {
            files = [path]
        }
        var items: [ProviderItem] = []
        for file in files {
            let header = try Self.firstLine(of: file)
            if FundamentalsCSV.isFundamentalsHeader(header) {
                items.append(ProviderItem(kind: .fundamentals, symbol: "fundamentals:" + URL(fileURLWithPath: file).lastPathComponent,
                                          interval: "snapshot", location: file))
                continue
            }
            if let symbols = WideCloseCSV.symbols(header: header) {
                // A wide price matrix: one daily item per symbol column (the one asked for, with --symbol).
                let wanted = symbols.filter { symbolOverride == nil || $0 == symbolOverride?.uppercased() }
                if let symbolOverride, wanted.isEmpty { throw ProviderError("\(file) has no column \(symbolOverride.uppercased())") }
                items += wanted.map { ProviderItem(symbol: $0, interval: intervalOverride ?? "1d", location: file) }
                continue
            }
            let lower = header.lowercased()
            guard lower.contains("open"), lower.contains("close"), lower.hasPrefix("date") || lower.hasPrefix("timestamp") || lower.hasPrefix("\"date") else {
                // Another layout (a constituents list): not bars; a folder import skips it.
                if !isDirectory.boolValue { throw ProviderError("\(file) is not an OHLCV or fundamentals CSV (header: \(header.prefix(80)))") }
                continue
            }
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let symbol = symbolOverride?.uppercased() ?? Self.symbol(fromFileName: name)
            guard !symbol.isEmpty else { throw ProviderError("cannot tell the symbol of \(file); pass --symbol") }
            let interval = intervalOverride ?? Self.interval(fromFileName: name) ?? (lower.hasPrefix("timestamp") ? "" : "1d")
            items.append(ProviderItem(symbol: symbol, interval: interval, location: file))
        }
        return items
    }

    public func fetchBars(_ item: ProviderItem) async throws -> FetchedBars {
        try await compute.run {
            let text = try Self.read(item.location)
            if WideCloseCSV.symbols(header: String(text.prefix { !$0.isNewline })) != nil {
                do {
                    let series = try WideCloseCSV.parse(text, symbol: item.symbol)
                    // The matrix's closes are the source's adjusted closes.
                    return FetchedBars(series: series, adjustedClose: series.close, intraday: false)
                } catch let error as BarCSV.ParseError {
                    throw ProviderError("\(URL(fileURLWithPath: item.location).lastPathComponent) \(error)")
                }
            }
            let parsed: BarCSV.Parsed
            do {
                parsed = try BarCSV.parse(text, symbol: item.symbol)
            } catch let error as BarCSV.ParseError {
                throw ProviderError("\(URL(fileURLWithPath: item.location).lastPathComponent) \(error)")
            }
            return FetchedBars(series: parsed.series, adjustedClose: parsed.adjustedClose, intraday: parsed.hasTimes)
        }
    }

    public func fetchFundamentals(_ item: ProviderItem) async throws -> FetchedFundamentals {
        let name = URL(fileURLWithPath: item.location).lastPathComponent
        guard let asOfText = asOfOverride ?? Self.date(in: name), let (asOf, _) = BarCSV.parseTime(Substring(asOfText)) else {
            throw ProviderError("\(name) has no date in its name: pass --as-of YYYY-MM-DD (the snapshot's publication date)")
        }
        let result = try FundamentalsCSV.parse(try Self.read(item.location), asOf: asOf)
        return FetchedFundamentals(rows: result.rows, corrections: result.corrections)
    }

    /// `AAPL` -> AAPL; `bitstamp_BTCUSD_1d` -> BTCUSD; `BTCUSD_1h_cdd_2017_2019` -> BTCUSD; `BF.B` -> BF.B.
    static func symbol(fromFileName name: String) -> String {
        let tokens = name.split(whereSeparator: { $0 == "_" || $0 == " " }).map(String.init)
        let candidate = tokens.first { token in
            token == token.uppercased() && token.contains(where: \.isLetter) && interval(fromFileName: token) == nil
                && !(token.count == 4 && token.allSatisfy(\.isNumber))
        }
        return (candidate ?? tokens.first ?? name).uppercased()
    }

    static func interval(fromFileName name: String) -> String? {
        let tokens = name.lowercased().split(whereSeparator: { $0 == "_" || $0 == "-" || $0 == " " })
        return tokens.first { ["1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w"].contains($0) }.map(String.init)
    }

    static func date(in name: String) -> String? {
        guard let range = name.range(of: #"\d{4}-\d{2}-\d{2}"#, options: .regularExpression) else { return nil }
        return String(name[range])
    }

    static func read(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw ProviderError("cannot read \(file)") }
        return String(decoding: data, as: UTF8.self)
    }

    static func firstLine(of file: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw ProviderError("cannot read \(file)") }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 4096)
        let text = String(decoding: head, as: UTF8.self)
        return String(text.split(whereSeparator: \.isNewline).first ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\u{FEFF}"))
    }
}
