import Foundation

/// The calendar window of a goal and where a moment falls in it.
public struct GoalPeriod: Sendable, Hashable {
    public var start: Date
    public var end: Date

    public init(start: Date, end: Date) {
        self.start = start
        self.end = end
    }

    /// The month, quarter or year (UTC) containing `date`, for the return goal types.
    public static func calendarPeriod(of type: GoalType, containing date: Date) -> GoalPeriod? {
        let (year, month, _) = CivilDay(date).components
        let startMonth: Int, months: Int
        switch type {
        case .monthlyReturn: (startMonth, months) = (month, 1)
        case .quarterlyReturn: (startMonth, months) = ((month - 1) / 3 * 3 + 1, 3)
        case .yearlyReturn: (startMonth, months) = (1, 12)
        default: return nil
        }
        let start = CivilDay(year: year, month: startMonth, day: 1)
        let endMonth = startMonth + months
        let end = endMonth > 12 ? CivilDay(year: year + 1, month: endMonth - 12, day: 1) : CivilDay(year: year, month: endMonth, day: 1)
        return GoalPeriod(start: start.date, end: end.date)
    }

    /// The share of the period gone at `now`, 0...1.
    public func elapsed(at now: Date) -> Double {
        let length = end.timeIntervalSince(start)
        guard length > 0 else { return 1 }
        return min(max(now.timeIntervalSince(start) / length, 0), 1)
    }

    /// Sessions of `calendar` from the day of `now` (included while it is not over) to the end.
    public func tradingDaysLeft(at now: Date, calendar: ExchangeCalendar = .nyse) -> Int {
        guard now < end else { return 0 }
        let last = CivilDay(end.addingTimeInterval(-1))
        let first = CivilDay(max(now, start))
        guard first <= last else { return 0 }
        return calendar.sessions(from: first, through: last).count
    }
}
