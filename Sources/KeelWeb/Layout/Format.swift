import Foundation
import KeelCore

/// How figures read on every page: money with thousands separators, signed percentages, short dates, and a dash
/// where a number is missing or not finite.
public enum Format {
    /// Figures are written for one reader whatever the server's locale: US grouping and decimal point.
    static let locale = Locale(identifier: "en_US")

    public static func money(_ value: Double?, currency: String = "$") -> String {
        guard let value, value.isFinite else { return "–" }
        // Whole units from 1,000 up, cents below.
        let digits = abs(value) >= 1_000 ? 0 : 2
        let text = abs(value).formatted(.number.precision(.fractionLength(digits)).grouping(.automatic).locale(locale))
        // What rounds to zero shows no sign; a minus is the typographic one.
        let zero = 0.0.formatted(.number.precision(.fractionLength(digits)).locale(locale))
        return (value < 0 && text != zero ? "−" : "") + currency + text
    }

    public static func percent(_ fraction: Double?, signed: Bool = false, digits: Int = 1) -> String {
        guard let fraction, fraction.isFinite else { return "–" }
        let style = FloatingPointFormatStyle<Double>.Percent(locale: locale).precision(.fractionLength(digits)).grouping(.never)
        let text = abs(fraction).formatted(style)
        // What rounds to zero shows no sign ("0%", not "−0%").
        if text == 0.0.formatted(style) { return text }
        if fraction < 0 { return "−" + text }
        return (signed && fraction > 0 ? "+" : "") + text
    }

    public static func day(_ date: Date?) -> String {
        guard let date, let seconds = finiteSeconds(date) else { return "–" }
        return CivilDay(Date(timeIntervalSince1970: seconds)).description
    }

    public static func time(_ date: Date?) -> String {
        guard let date, let seconds = finiteSeconds(date) else { return "–" }
        let day = CivilDay(Date(timeIntervalSince1970: seconds))
        let second = Int(seconds.rounded(.down)) - day.number * 86_400
        return day.description + String(format: " %02d:%02d UTC", second / 3600, second % 3600 / 60)
    }

    /// Seconds since 1970 for a date a page can show (a corrupt or absurd date shows a dash).
    static func finiteSeconds(_ date: Date) -> Double? {
        let seconds = date.timeIntervalSince1970
        return seconds.isFinite && abs(seconds) < 1e13 ? seconds : nil
    }

    public static func age(seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 90 { return "\(Int(seconds)) s" }
        if seconds < 5_400 { return "\(Int(seconds / 60)) min" }
        if seconds < 172_800 { return "\(Int(seconds / 3_600)) h" }
        return "\(Int(seconds / 86_400)) days"
    }
}
