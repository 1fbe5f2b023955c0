import Foundation
import KeelCore

/// NYSE regular hours (09:30-16:00 New York, 13:00 on early-close days) on the exchange calendar.
enum SandboxMarketClock {
    static let newYork = TimeZone(identifier: "America/New_York")!
    static let chicago = TimeZone(identifier: "America/Chicago")!

    static func localDay(_ date: Date) -> CivilDay {
        let seconds = Double(newYork.secondsFromGMT(for: date))
        return CivilDay(date.addingTimeInterval(seconds))
    }

    /// Opening and closing instants of the regular session of the New York day containing `date`, if it trades.
    static func session(on date: Date) -> (open: Date, close: Date)? {
        let day = localDay(date)
        guard ExchangeCalendar.nyse.isSession(day) else { return nil }
        let midnightUTC = day.date
        let offset = Double(newYork.secondsFromGMT(for: midnightUTC.addingTimeInterval(12 * 3600)))
        let open = midnightUTC.addingTimeInterval(9.5 * 3600 - offset)
        let closeHour = ExchangeCalendar.nyse.isEarlyClose(day) ? 13.0 : 16.0
        return (open, midnightUTC.addingTimeInterval(closeHour * 3600 - offset))
    }

    static func isOpen(_ date: Date) -> Bool {
        guard let session = session(on: date) else { return false }
        return date >= session.open && date < session.close
    }

    /// 0 before the open, 1 after the close, linear in between.
    static func sessionProgress(at date: Date) -> Double {
        guard let session = session(on: date) else { return 1 }
        if date <= session.open { return 0 }
        if date >= session.close { return 1 }
        return date.timeIntervalSince(session.open) / session.close.timeIntervalSince(session.open)
    }

    /// Midnight America/Chicago of a day, in epoch milliseconds: how Schwab stamps daily candles.
    static func chicagoMidnightMillis(_ day: CivilDay) -> Int64 {
        let midnightUTC = day.date
        let offset = Double(chicago.secondsFromGMT(for: midnightUTC.addingTimeInterval(12 * 3600)))
        return Int64((midnightUTC.timeIntervalSince1970 - offset) * 1000)
    }
}
