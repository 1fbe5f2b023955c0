import Foundation
import KeelCore
import KeelStore

/// Reads S&P 500 financials snapshots (`Symbol,Name,Sector,Price,Price/Earnings,Dividend Yield,…`) and
/// corrects the known quirks of the sources: a dividend yield given in percent, swapped 52-week columns, and
/// a "Sector" column that actually holds GICS sub-industries.
enum FundamentalsCSV {
    static func isFundamentalsHeader(_ header: String) -> Bool {
        let lower = header.lowercased()
        return lower.hasPrefix("symbol,") && lower.contains("price/earnings")
    }

    struct Result {
        var rows: [FundamentalSnapshot]
        var corrections: [String]
    }

    static func parse(_ text: String, asOf: Date) throws -> Result {
        var lines = text.split(whereSeparator: \.isNewline)
        guard !lines.isEmpty else { throw ProviderError("the fundamentals file is empty") }
        let header = CSVFields.split(lines.removeFirst()).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        guard let symbolColumn = column("symbol") else { throw ProviderError("the fundamentals header has no Symbol column") }
        var rows: [FundamentalSnapshot] = []
        var sectors = Set<String>()
        for (offset, line) in lines.enumerated() {
            let fields = CSVFields.split(line)
            guard fields.count >= header.count else { throw ProviderError("fundamentals line \(offset + 2): expected \(header.count) fields, found \(fields.count)") }
            func text(_ name: String) -> String? {
                guard let i = column(name) else { return nil }
                let value = fields[i].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            func number(_ name: String) -> Double? { text(name).flatMap(Double.init) }
            let symbol = fields[symbolColumn].trimmingCharacters(in: .whitespaces).uppercased()
            guard !symbol.isEmpty else { continue }
            if let sector = text("sector") { sectors.insert(sector) }
            var row = FundamentalSnapshot(symbol: symbol, asOf: asOf, source: "csv")
            row.name = text("name")
            row.sector = text("sector")
            row.price = number("price")
            row.peRatio = number("price/earnings")
            row.dividendYield = number("dividend yield")
            row.eps = number("earnings/share")
            row.week52Low = number("52 week low")
            row.week52High = number("52 week high")
            row.marketCap = number("market cap")
            row.ebitda = number("ebitda")
            row.priceToSales = number("price/sales")
            row.priceToBook = number("price/book")
            rows.append(row)
        }

        var corrections: [String] = []
        let yields = rows.compactMap(\.dividendYield).sorted()
        if let median = yields.isEmpty ? nil : yields[yields.count / 2], median > 0.2 {
            for i in rows.indices { rows[i].dividendYield = rows[i].dividendYield.map { $0 / 100 } }
            corrections.append("dividend yield was in percent (median \(median)); converted to a fraction")
        }
        var swapped = 0
        for i in rows.indices {
            if let low = rows[i].week52Low, let high = rows[i].week52High, low > high {
                rows[i].week52Low = high
                rows[i].week52High = low
                swapped += 1
            }
        }
        if swapped > 0 { corrections.append("52-week low and high were swapped in \(swapped) row(s); corrected") }
        // GICS has 11 sectors; many more distinct values means the column holds sub-industries.
        if sectors.count > 11 {
            for i in rows.indices {
                rows[i].subIndustry = rows[i].sector
                rows[i].sector = nil
            }
            corrections.append("the Sector column holds \(sectors.count) distinct values (GICS sub-industries); stored as sub_industry")
        }
        return Result(rows: rows, corrections: corrections)
    }
}
