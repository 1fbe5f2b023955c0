import Foundation

/// Which days an exchange trades and which close early. NYSE: weekdays minus the holidays of its rules
/// (observed on Friday/Monday when they fall on a weekend; New Year's Day on a Saturday is not observed)
/// and the unscheduled closures since 1999. Crypto: every day, every hour.
public struct ExchangeCalendar: Sendable {
    public enum Kind: String, Sendable { case nyse, alwaysOpen = "24/7" }

    public let kind: Kind

    public static let nyse = ExchangeCalendar(kind: .nyse)
    public static let alwaysOpen = ExchangeCalendar(kind: .alwaysOpen)

    public static func forAssetClass(_ assetClass: AssetClass) -> ExchangeCalendar {
        assetClass == .crypto ? .alwaysOpen : .nyse
    }

    /// Closures outside the regular rules (national mourning, 9/11, hurricane Sandy).
    static let unscheduledClosures: Set<CivilDay> = [
        CivilDay(year: 2001, month: 9, day: 11), CivilDay(year: 2001, month: 9, day: 12), CivilDay(year: 2001, month: 9, day: 13),
        CivilDay(year: 2001, month: 9, day: 14), CivilDay(year: 2004, month: 6, day: 11), CivilDay(year: 2007, month: 1, day: 2),
        CivilDay(year: 2012, month: 10, day: 29), CivilDay(year: 2012, month: 10, day: 30), CivilDay(year: 2018, month: 12, day: 5),
        CivilDay(year: 2025, month: 1, day: 9),
    ]

    public func isSession(_ day: CivilDay) -> Bool {
        switch kind {
        case .alwaysOpen: return true
        case .nyse: return !day.isWeekend && !Self.isNYSEHoliday(day)
        }
    }

    /// Sessions that end at 13:00 New York time: the day before Independence Day, the day after
    /// Thanksgiving and Christmas Eve, when they are sessions.
    public func isEarlyClose(_ day: CivilDay) -> Bool {
        guard kind == .nyse, isSession(day) else { return false }
        let (year, month, date) = day.components
        if month == 7, date == 3 { return true }
        if month == 12, date == 24 { return true }
        return month == 11 && day == Self.nthWeekday(4, weekday: 4, month: 11, year: year).adding(days: 1)
    }

    /// Every session day from `start` through `end`, inclusive.
    public func sessions(from start: CivilDay, through end: CivilDay) -> [CivilDay] {
        guard start <= end else { return [] }
        return (start.number...end.number).map(CivilDay.init(number:)).filter(isSession)
    }

    static func isNYSEHoliday(_ day: CivilDay) -> Bool {
        if unscheduledClosures.contains(day) { return true }
        let (year, month, _) = day.components
        var holidays: [CivilDay] = []
        // A holiday on Saturday moves to Friday, on Sunday to Monday; New Year's Day on Saturday is not moved.
        func observed(_ d: CivilDay, moveSaturday: Bool = true) -> CivilDay? {
            switch d.weekday {
            case 6: return moveSaturday ? d.adding(days: -1) : nil
            case 0: return d.adding(days: 1)
            default: return d
            }
        }
        switch month {
        case 1:
            if let d = observed(CivilDay(year: year, month: 1, day: 1), moveSaturday: false) { holidays.append(d) }
            if year >= 1998 { holidays.append(nthWeekday(3, weekday: 1, month: 1, year: year)) }
        case 2: holidays.append(nthWeekday(3, weekday: 1, month: 2, year: year))
        case 3, 4: holidays.append(easter(year).adding(days: -2))
        case 5: holidays.append(lastWeekday(1, month: 5, year: year))
        case 6: if year >= 2022, let d = observed(CivilDay(year: year, month: 6, day: 19)) { holidays.append(d) }
        case 7: if let d = observed(CivilDay(year: year, month: 7, day: 4)) { holidays.append(d) }
        case 9: holidays.append(nthWeekday(1, weekday: 1, month: 9, year: year))
        case 11: holidays.append(nthWeekday(4, weekday: 4, month: 11, year: year))
        case 12:
            if let d = observed(CivilDay(year: year, month: 12, day: 25)) { holidays.append(d) }
            // New Year's Day of next year falling on Saturday is not observed on Dec 31 (NYSE rule).
        default: break
        }
        return holidays.contains(day)
    }

    /// The `n`-th `weekday` (0 = Sunday) of a month.
    static func nthWeekday(_ n: Int, weekday: Int, month: Int, year: Int) -> CivilDay {
        let first = CivilDay(year: year, month: month, day: 1)
        let offset = (weekday - first.weekday + 7) % 7
        return first.adding(days: offset + 7 * (n - 1))
    }

    static func lastWeekday(_ weekday: Int, month: Int, year: Int) -> CivilDay {
        let next = month == 12 ? CivilDay(year: year + 1, month: 1, day: 1) : CivilDay(year: year, month: month + 1, day: 1)
        let last = next.adding(days: -1)
        return last.adding(days: -((last.weekday - weekday + 7) % 7))
    }

    /// Western Easter Sunday (anonymous Gregorian algorithm).
    static func easter(_ year: Int) -> CivilDay {
        let a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4
        let f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return CivilDay(year: year, month: month, day: day)
    }
}
