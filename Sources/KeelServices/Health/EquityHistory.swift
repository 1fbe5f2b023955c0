import Foundation
import KeelCore
import KeelStore

/// A book's value day by day, rebuilt from today's positions and cash backwards through the fills.
public enum EquityHistory {
    /// The accounts' value on every trading day (the benchmark's bar days) since the oldest was opened, rebuilt
    /// backwards from today's books through their fills, at the stored closes; summed over the accounts.
    public static func sinceInception(accounts: [AccountRecord], session: Session, benchmark: String, now: Date) async throws -> [EquityReconstruction.Day] {
        guard let opened = accounts.map(\.createdAt).min() else { return [] }
        func day(_ date: Date) -> Date { CivilDay(date).date }
        var fills: [String: [EquityReconstruction.Fill]] = [:]
        var holdings: [String: [String: Double]] = [:]
        var symbols = Set<String>()
        var inception = opened
        for account in accounts {
            fills[account.accountHash] = try await session.ledger.fills(accountHash: account.accountHash).map { fill in
                symbols.insert(fill.symbol)
                let quantity = NSDecimalNumber(decimal: fill.quantity).doubleValue
                return .init(at: fill.filledAt, symbol: fill.symbol, quantity: fill.side == .sell ? -quantity : quantity,
                             price: NSDecimalNumber(decimal: fill.price).doubleValue, commission: NSDecimalNumber(decimal: fill.commission).doubleValue)
            }
            if let first = fills[account.accountHash]?.map(\.at).min() { inception = min(inception, first) }
            for position in try await session.ledger.positions(accountHash: account.accountHash) {
                symbols.insert(position.symbol)
                holdings[account.accountHash, default: [:]][position.symbol, default: 0] += NSDecimalNumber(decimal: position.quantity).doubleValue
            }
        }
        let start = day(inception)
        let series = try await session.marketBars.history(symbols: Array(symbols.union([benchmark])).sorted(), since: start)
        var closes: [String: [(date: Date, close: Double)]] = [:]
        for bars in series { closes[bars.symbol] = zip(bars.timestamps, bars.close).map { ($0, $1) } }
        // The trading calendar: the benchmark's days, else every day a held symbol traded; and today, so the curve ends on the book as it stands.
        var days = closes[benchmark]?.map { day($0.date) }
            ?? Array(Set(closes.values.flatMap { $0.map { day($0.date) } })).sorted()
        let today = day(now)
        if days.last.map({ $0 < today }) ?? true { days.append(today) }
        days = days.filter { $0 >= start && $0 <= today }
        var summed: [Date: Double] = [:]
        for account in accounts {
            let accountFills = fills[account.accountHash] ?? []
            let opened = day(min(account.createdAt, accountFills.map(\.at).min() ?? account.createdAt))
            let accountDays = days.filter { $0 >= opened }
            let curve = EquityReconstruction.curve(currentCash: NSDecimalNumber(decimal: account.cash).doubleValue, holdings: holdings[account.accountHash] ?? [:],
                                                   fills: accountFills, closes: closes, days: accountDays)
            for day in curve { summed[day.date, default: 0] += day.value }
        }
        var peak = -Double.infinity
        return summed.keys.sorted().map { date in
            let value = summed[date] ?? 0
            peak = max(peak, value)
            return EquityReconstruction.Day(date: date, value: value, drawdown: peak > 0 ? value / peak - 1 : 0)
        }
    }
}
