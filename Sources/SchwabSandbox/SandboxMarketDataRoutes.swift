import Foundation
import KeelCore
import Vapor

/// `/marketdata/v1`: quotes, price history (with Schwab's parameter matrix), market hours, instruments.
struct SandboxMarketDataRoutes {
    let state: SandboxState

    func register(_ app: Application) {
        let data = app.grouped("marketdata", "v1")
        data.get("quotes", use: quotes)
        data.get(":symbol", "quotes", use: singleQuote)
        data.get("pricehistory", use: priceHistory)
        data.get("markets", use: markets)
        data.get("instruments", use: instruments)
    }

    func quotes(req: Request) async throws -> Response {
        guard let list = req.query[String.self, at: "symbols"], !list.isEmpty else {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "symbols is required")
        }
        return render(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() })
    }

    func singleQuote(req: Request) async throws -> Response {
        render([(req.parameters.get("symbol") ?? "").uppercased()])
    }

    func render(_ symbols: [String]) -> Response {
        let now = state.configuration.clock.now()
        var body: [String: Any] = [:]
        var invalid: [String] = []
        for symbol in symbols {
            if let quote = SandboxRendering.quote(symbol, prices: state.prices, now: now) { body[symbol] = quote } else { invalid.append(symbol) }
        }
        if !invalid.isEmpty { body["errors"] = ["invalidSymbols": invalid] }
        return SandboxErrors.json(.ok, body)
    }

    /// The valid (periodType -> periods, frequencyTypes) combinations and their defaults.
    static let matrix: [String: (periods: [Int], defaultPeriod: Int, frequencies: [String], defaultFrequency: String)] = [
        "day": ([1, 2, 3, 4, 5, 10], 10, ["minute"], "minute"),
        "month": ([1, 2, 3, 6], 1, ["daily", "weekly"], "weekly"),
        "year": ([1, 2, 3, 5, 10, 15, 20], 1, ["daily", "weekly", "monthly"], "monthly"),
        "ytd": ([1], 1, ["daily", "weekly"], "weekly"),
    ]

    func priceHistory(req: Request) async throws -> Response {
        let path = req.url.path
        guard let symbol = req.query[String.self, at: "symbol"]?.uppercased() else {
            return SandboxErrors.response(.badRequest, path: path, message: "symbol is required")
        }
        let periodType = req.query[String.self, at: "periodType"] ?? "day"
        guard let rule = Self.matrix[periodType] else { return SandboxErrors.response(.badRequest, path: path, message: "Invalid periodType \(periodType)") }
        let period = req.query[Int.self, at: "period"] ?? rule.defaultPeriod
        guard rule.periods.contains(period) else { return SandboxErrors.response(.badRequest, path: path, message: "Invalid period \(period) for periodType \(periodType)") }
        let frequencyType = req.query[String.self, at: "frequencyType"] ?? rule.defaultFrequency
        guard rule.frequencies.contains(frequencyType) else {
            return SandboxErrors.response(.badRequest, path: path, message: "Invalid frequencyType \(frequencyType) for periodType \(periodType)")
        }
        let frequency = req.query[Int.self, at: "frequency"] ?? 1
        let allowed = frequencyType == "minute" ? [1, 5, 10, 15, 30] : [1]
        guard allowed.contains(frequency) else { return SandboxErrors.response(.badRequest, path: path, message: "Invalid frequency \(frequency)") }
        let now = state.configuration.clock.now()
        guard let bars = state.prices.dailyBars(symbol, through: now) else {
            return SandboxErrors.json(.ok, ["symbol": symbol, "empty": true, "candles": [Any]()])
        }
        let end = req.query[Int64.self, at: "endDate"].map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? now
        let start: Date
        if let millis = req.query[Int64.self, at: "startDate"] {
            start = Date(timeIntervalSince1970: Double(millis) / 1000)
        } else {
            let days: Double = switch periodType {
            case "day": Double(period) * 1.5
            case "month": Double(period) * 31
            case "year": Double(period) * 366
            default: Double(CivilDay(end).number - CivilDay(year: CivilDay(end).components.year, month: 1, day: 1).number)
            }
            start = end.addingTimeInterval(-days * 86_400)
        }
        var candles: [[String: Any]] = []
        for i in 0..<bars.count where bars.timestamps[i] >= CivilDay(start).date && bars.timestamps[i] <= end {
            let day = CivilDay(bars.timestamps[i])
            if frequencyType == "minute" {
                candles.append(contentsOf: Self.minuteCandles(bars, index: i, day: day, frequency: frequency, until: now))
            } else {
                candles.append(["open": bars.open[i], "high": bars.high[i], "low": bars.low[i], "close": bars.close[i],
                                "volume": Int64(bars.volume[i]), "datetime": SandboxMarketClock.chicagoMidnightMillis(day)])
            }
        }
        if frequencyType == "weekly" || frequencyType == "monthly" { candles = Self.aggregate(candles, weekly: frequencyType == "weekly") }
        return SandboxErrors.json(.ok, ["symbol": symbol, "empty": candles.isEmpty, "candles": candles])
    }

    /// Minute bars inside the day's regular session, walking from the daily open to the close.
    static func minuteCandles(_ bars: BarSeries, index: Int, day: CivilDay, frequency: Int, until now: Date) -> [[String: Any]] {
        guard let session = SandboxMarketClock.session(on: day.date.addingTimeInterval(12 * 3600)) else { return [] }
        let minutes = Int(session.close.timeIntervalSince(session.open) / 60)
        let steps = max(minutes / frequency, 1)
        var out: [[String: Any]] = []
        let open = bars.open[index], close = bars.close[index]
        for step in 0..<steps {
            let time = session.open.addingTimeInterval(Double(step * frequency * 60))
            guard time <= now else { break }
            let a = open + (close - open) * Double(step) / Double(steps), b = open + (close - open) * Double(step + 1) / Double(steps)
            out.append(["open": (a * 100).rounded() / 100, "high": (max(a, b) * 100).rounded() / 100, "low": (min(a, b) * 100).rounded() / 100,
                        "close": (b * 100).rounded() / 100, "volume": Int64(bars.volume[index] / Double(steps)),
                        "datetime": Int64(time.timeIntervalSince1970 * 1000)])
        }
        return out
    }

    static func aggregate(_ daily: [[String: Any]], weekly: Bool) -> [[String: Any]] {
        var groups: [(key: Int, candles: [[String: Any]])] = []
        for candle in daily {
            let millis = candle["datetime"] as? Int64 ?? 0
            let day = CivilDay(Date(timeIntervalSince1970: Double(millis) / 1000 + 6 * 3600))
            let key = weekly ? (day.number - (day.weekday + 6) % 7) : day.components.year * 12 + day.components.month
            if groups.last?.key == key { groups[groups.count - 1].candles.append(candle) } else { groups.append((key, [candle])) }
        }
        return groups.map { group in
            let c = group.candles
            return ["open": c.first?["open"] ?? 0, "close": c.last?["close"] ?? 0,
                    "high": c.compactMap { $0["high"] as? Double }.max() ?? 0, "low": c.compactMap { $0["low"] as? Double }.min() ?? 0,
                    "volume": c.compactMap { $0["volume"] as? Int64 }.reduce(0, +), "datetime": c.first?["datetime"] ?? 0]
        }
    }

    func markets(req: Request) async throws -> Response {
        guard let list = req.query[String.self, at: "markets"] else {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "markets is required")
        }
        let now = state.configuration.clock.now()
        var day = SandboxMarketClock.localDay(now)
        if let text = req.query[String.self, at: "date"] {
            guard let parsed = SandboxTraderRoutes.parseDate(text) else { return SandboxErrors.response(.badRequest, path: req.url.path, message: "date must be YYYY-MM-DD") }
            day = CivilDay(parsed)
        }
        return SandboxErrors.json(.ok, SandboxRendering.marketHours(list.split(separator: ",").map(String.init), day: day))
    }

    func instruments(req: Request) async throws -> Response {
        guard let list = req.query[String.self, at: "symbol"], req.query[String.self, at: "projection"] != nil else {
            return SandboxErrors.response(.badRequest, path: req.url.path, message: "symbol and projection are required")
        }
        let known = list.split(separator: ",").map { $0.uppercased() }.filter { state.prices.knows($0) }
        return SandboxErrors.json(.ok, ["instruments": known.map { symbol -> [String: Any] in
            ["assetType": "EQUITY", "cusip": SandboxRendering.cusip(symbol), "description": ReferenceInstruments.entry(for: symbol)?.instrument.name ?? symbol,
             "exchange": "NASDAQ", "symbol": symbol]
        }])
    }
}
