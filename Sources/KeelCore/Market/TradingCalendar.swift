import Foundation

/// Which calendar days an asset class trades on. Weekends only here; exchange holidays arrive with the
/// data-quality calendar of the market-data pipeline.
public enum TradingCalendar {
    public static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public static func isTradingDay(_ date: Date, for assetClass: AssetClass) -> Bool {
        if assetClass == .crypto { return true }
        let weekday = utc.component(.weekday, from: date)
        return weekday != 1 && weekday != 7
    }

    /// Midnight UTC of the day containing `date`.
    public static func startOfDay(_ date: Date) -> Date { utc.startOfDay(for: date) }
}
