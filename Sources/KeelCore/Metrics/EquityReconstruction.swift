import Foundation

/// An account's value day by day since its inception, rebuilt backwards from the book as it stands today and the
/// recorded fills: on each day the holdings are today's less every fill after that day, the cash is today's plus
/// what those fills cost (or less what they brought in), each holding valued at that day's close (the last close
/// before it when a symbol did not trade). So the curve always ends on today's book, and holdings Keel never
/// traded (an account linked with its positions) count as held from the start. Money moved in or out outside Keel
/// is not in it.
public enum EquityReconstruction {
    public struct Fill: Sendable, Hashable {
        public var at: Date
        public var symbol: String
        /// Positive for a buy, negative for a sale.
        public var quantity: Double
        public var price: Double
        public var commission: Double

        public init(at: Date, symbol: String, quantity: Double, price: Double, commission: Double) {
            self.at = at
            self.symbol = symbol
            self.quantity = quantity
            self.price = price
            self.commission = commission
        }
    }

    public struct Day: Sendable, Hashable {
        public var date: Date
        public var value: Double
        /// Value against the highest value so far, minus one (0 at a peak, −0.2 twenty percent below it).
        public var drawdown: Double

        public init(date: Date, value: Double, drawdown: Double) {
            self.date = date
            self.value = value
            self.drawdown = drawdown
        }
    }

    /// The starting cash that today's cash implies after `fills`.
    public static func startingCash(currentCash: Double, fills: [Fill]) -> Double {
        currentCash + fills.reduce(0) { $0 + $1.quantity * $1.price + $1.commission }
    }

    /// One value per day in `days` (sorted ascending); `holdings` are today's quantities by symbol, `closes` each
    /// symbol's daily closes sorted by date. Non-finite inputs are skipped, so the result is always finite; a
    /// quantity that would be negative on a day (sold outside Keel) counts as nothing.
    public static func curve(currentCash: Double, holdings: [String: Double], fills: [Fill], closes: [String: [(date: Date, close: Double)]], days: [Date]) -> [Day] {
        guard currentCash.isFinite else { return [] }
        let fills = fills.filter { $0.quantity.isFinite && $0.price.isFinite && $0.commission.isFinite }.sorted { $0.at < $1.at }
        // Start before the first fill (undo them all) and replay forwards: the same as walking back from today.
        var cash = startingCash(currentCash: currentCash, fills: fills)
        var quantities = holdings.filter { $0.value.isFinite }
        for fill in fills { quantities[fill.symbol, default: 0] -= fill.quantity }
        var lastClose: [String: Double] = [:]
        for fill in fills where lastClose[fill.symbol] == nil { lastClose[fill.symbol] = fill.price }
        var closeIndex: [String: Int] = [:]
        var fillIndex = 0
        var peak = -Double.infinity
        var out: [Day] = []
        out.reserveCapacity(days.count)
        for day in days {
            // A fill belongs to the day it happened on: everything up to the day's end.
            let end = day.addingTimeInterval(86_399)
            while fillIndex < fills.count, fills[fillIndex].at <= end {
                let fill = fills[fillIndex]
                cash -= fill.quantity * fill.price + fill.commission
                quantities[fill.symbol, default: 0] += fill.quantity
                fillIndex += 1
            }
            var invested = 0.0
            for (symbol, quantity) in quantities where quantity > 1e-12 {
                if let series = closes[symbol] {
                    var index = closeIndex[symbol] ?? 0
                    while index < series.count, series[index].date <= end {
                        if series[index].close.isFinite, series[index].close > 0 { lastClose[symbol] = series[index].close }
                        index += 1
                    }
                    closeIndex[symbol] = index
                }
                invested += quantity * (lastClose[symbol] ?? 0)
            }
            let value = cash + invested
            guard value.isFinite else { continue }
            peak = max(peak, value)
            out.append(Day(date: day, value: value, drawdown: peak > 0 ? value / peak - 1 : 0))
        }
        return out
    }
}
