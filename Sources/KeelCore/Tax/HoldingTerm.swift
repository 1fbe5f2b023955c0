import Foundation

/// Short or long term, as the IRS counts a holding period: long term when the asset was held more than one year.
/// The period starts the day after acquisition, so a lot is long term when sold after the anniversary of the day
/// it was acquired (bought 2023-03-15: sold 2024-03-15 is short term, 2024-03-16 long term). A lot acquired on
/// 29 February has its anniversary on 28 February of a common year (sold 1 March or later: long term).
public enum HoldingTerm: String, Sendable, Codable, CaseIterable {
    case short, long

    public static func of(heldSince start: CivilDay, soldOn sale: CivilDay) -> HoldingTerm {
        sale > anniversary(of: start) ? .long : .short
    }

    /// The same month and day a year later (28 February for 29 February when the next year is not a leap year).
    public static func anniversary(of day: CivilDay) -> CivilDay {
        let (year, month, dayOfMonth) = day.components
        let leap = (year + 1) % 4 == 0 && ((year + 1) % 100 != 0 || (year + 1) % 400 == 0)
        return CivilDay(year: year + 1, month: month, day: month == 2 && dayOfMonth == 29 && !leap ? 28 : dayOfMonth)
    }
}
