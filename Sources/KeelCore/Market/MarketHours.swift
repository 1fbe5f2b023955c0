import Foundation

/// When an exchange's regular session is open: NYSE 09:30–16:00 New York time (13:00 on early-close days)
/// on its session days; crypto always.
public struct MarketHours: Sendable {
    public let calendar: ExchangeCalendar

    public init(calendar: ExchangeCalendar) {
        self.calendar = calendar
    }

    public static func forAssetClass(_ assetClass: AssetClass) -> MarketHours {
        MarketHours(calendar: .forAssetClass(assetClass))
    }

    /// New York time; a fixed UTC−5 when the system has no time-zone database.
    static let newYork: TimeZone = TimeZone(identifier: "America/New_York") ?? TimeZone(secondsFromGMT: -5 * 3600)!

    /// The New York calendar day `date` falls on.
    public static func newYorkDay(_ date: Date) -> CivilDay {
        CivilDay(date.addingTimeInterval(Double(newYork.secondsFromGMT(for: date))))
    }

    /// The instant a New York wall-clock time happens on `day`.
    static func newYorkInstant(_ day: CivilDay, hour: Int, minute: Int) -> Date {
        let wall = day.date.addingTimeInterval(Double(hour * 3600 + minute * 60))
        // The offset at that wall time (DST changes happen at 02:00, far from the session).
        let offset = newYork.secondsFromGMT(for: wall.addingTimeInterval(5 * 3600))
        return wall.addingTimeInterval(-Double(offset))
    }

    /// The session of `day` (open, close), nil when the exchange does not trade that day.
    public func session(on day: CivilDay) -> (open: Date, close: Date)? {
        switch calendar.kind {
        case .alwaysOpen:
            return (day.date, day.date.addingTimeInterval(86_400))
        case .nyse:
            guard calendar.isSession(day) else { return nil }
            let closeHour = calendar.isEarlyClose(day) ? 13 : 16
            return (Self.newYorkInstant(day, hour: 9, minute: 30), Self.newYorkInstant(day, hour: closeHour, minute: 0))
        }
    }

    public func isOpen(at date: Date) -> Bool {
        if calendar.kind == .alwaysOpen { return true }
        guard let session = session(on: Self.newYorkDay(date)) else { return false }
        return date >= session.open && date < session.close
    }

    /// The next moment the market is open at or after `date` (itself when open).
    public func nextOpen(after date: Date) -> Date {
        if isOpen(at: date) { return date }
        var day = calendar.kind == .alwaysOpen ? CivilDay(date) : Self.newYorkDay(date)
        for _ in 0..<30 {
            if let session = session(on: day), session.open >= date { return session.open }
            day = day.adding(days: 1)
        }
        return date
    }

    /// The close of the session on the New York day of `date`, nil on a day without a session.
    public func close(onDayOf date: Date) -> Date? {
        session(on: calendar.kind == .alwaysOpen ? CivilDay(date) : Self.newYorkDay(date))?.close
    }
}
