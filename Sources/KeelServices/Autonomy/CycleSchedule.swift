import Foundation
import KeelCore

/// When the scheduled cycle of a day runs: `minutesAfterClose` after the NYSE close on session days; on days
/// without an equity session (weekends, holidays) at the fixed UTC time, for the crypto that trades every day.
public struct CycleSchedule: Sendable {
    public var minutesAfterClose: Int
    public var cryptoMinuteUTC: Int

    public init(settings: CycleSettings) {
        minutesAfterClose = settings.minutesAfterClose
        cryptoMinuteUTC = settings.cryptoMinuteUTC
    }

    /// The due time of the cycle on the UTC day `day`.
    public func due(on day: CivilDay) -> Date {
        let hours = MarketHours(calendar: .nyse)
        if let session = hours.session(on: day) { return session.close.addingTimeInterval(Double(minutesAfterClose * 60)) }
        return day.date.addingTimeInterval(Double(cryptoMinuteUTC * 60))
    }

    /// The first due time strictly after `date`.
    public func next(after date: Date) -> Date {
        var day = CivilDay(date)
        for _ in 0..<10 {
            let due = due(on: day)
            if due > date { return due }
            day = day.adding(days: 1)
        }
        return date.addingTimeInterval(86_400)
    }
}
