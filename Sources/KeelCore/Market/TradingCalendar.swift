import Foundation

/// Which calendar days an asset class trades on: the exchange calendar (NYSE sessions, or every day for crypto).
public enum TradingCalendar {
    public static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    public static func isTradingDay(_ date: Date, for assetClass: AssetClass) -> Bool {
        ExchangeCalendar.forAssetClass(assetClass).isSession(CivilDay(date))
    }

    /// Midnight UTC of the day containing `date`.
    public static func startOfDay(_ date: Date) -> Date { utc.startOfDay(for: date) }
}
