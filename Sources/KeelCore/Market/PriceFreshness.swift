import Foundation

/// When a price is too old to trade on: its last bar must be from the latest completed session of its market
/// (NYSE sessions for equities, the latest UTC day for crypto), or at most `sessionsBehind` sessions before it.
/// A bar of today's session still in progress is fresher still.
public struct PriceFreshness: Sendable, Hashable {
    public var sessionsBehind: Int

    public init(sessionsBehind: Int = 0) {
        self.sessionsBehind = max(0, sessionsBehind)
    }

    /// The most recent session of `assetClass` whose close is at or before `asOf`.
    public func latestCompletedSession(asOf: Date, assetClass: AssetClass) -> CivilDay {
        let hours = MarketHours.forAssetClass(assetClass)
        var day = assetClass == .crypto ? CivilDay(asOf) : MarketHours.newYorkDay(asOf)
        // Two weeks back always reaches a completed session (the longest NYSE closure is shorter).
        for _ in 0..<15 {
            if let session = hours.session(on: day), session.close <= asOf { return day }
            day = day.adding(days: -1)
        }
        return day
    }

    /// The oldest session a fresh last bar may be from.
    public func oldestFreshSession(asOf: Date, assetClass: AssetClass) -> CivilDay {
        var day = latestCompletedSession(asOf: asOf, assetClass: assetClass)
        let calendar = ExchangeCalendar.forAssetClass(assetClass)
        var behind = 0
        while behind < sessionsBehind {
            day = day.adding(days: -1)
            if calendar.isSession(day) { behind += 1 }
        }
        return day
    }

    /// Nil when `lastBar` (a daily bar's timestamp, its UTC day) is fresh at `asOf`; otherwise why not.
    public func staleness(lastBar: Date?, asOf: Date, assetClass: AssetClass) -> String? {
        let oldest = oldestFreshSession(asOf: asOf, assetClass: assetClass)
        guard let lastBar else { return "no stored bar (the latest completed session is \(latestCompletedSession(asOf: asOf, assetClass: assetClass)))" }
        let day = CivilDay(lastBar)
        guard day < oldest else { return nil }
        return "last bar \(day), older than the latest completed session \(latestCompletedSession(asOf: asOf, assetClass: assetClass))"
            + (sessionsBehind > 0 ? " less \(sessionsBehind) session(s)" : "")
    }
}
