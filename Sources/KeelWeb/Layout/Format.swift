import Foundation

/// How figures read on every page: money with thousands separators, signed percentages, short dates, and a dash
/// where a number is missing or not finite.
public enum Format {
    public static func money(_ value: Double?, currency: String = "$") -> String {
        guard let value, value.isFinite else { return "–" }
        // Whole units from 1,000 up, cents below; grouped by hand (NumberFormatter's digit limits differ across platforms).
        let magnitude = abs(value)
        let digits = magnitude >= 1_000 ? 0 : 2
        let text = String(format: "%.\(digits)f", magnitude)
        let parts = text.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0]), grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole.removeLast(3)
        }
        grouped = whole + grouped + (parts.count > 1 ? "." + parts[1] : "")
        return (value < 0 && text != String(format: "%.\(digits)f", 0.0) ? "−" : "") + currency + grouped
    }

    public static func percent(_ fraction: Double?, signed: Bool = false, digits: Int = 1) -> String {
        guard let fraction, fraction.isFinite else { return "–" }
        let text = String(format: "%.\(digits)f%%", abs(fraction) * 100)
        // What rounds to zero shows no sign ("0%", not "−0%").
        if text == String(format: "%.\(digits)f%%", 0.0) { return text }
        if fraction < 0 { return "−" + text }
        return (signed && fraction > 0 ? "+" : "") + text
    }

    public static func day(_ date: Date?) -> String {
        guard let date, let t = utc(date) else { return "–" }
        return String(format: "%04d-%02d-%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday)
    }

    public static func time(_ date: Date?) -> String {
        guard let date, let t = utc(date) else { return "–" }
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min)
    }

    /// The date's calendar fields in UTC, from the C library (a page prints hundreds of dates: building a
    /// DateFormatter for each cost more than the rest of the page).
    static func utc(_ date: Date) -> tm? {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e15 else { return nil }
        var clock = time_t(seconds.rounded(.down))
        var fields = tm()
        return gmtime_r(&clock, &fields) == nil ? nil : fields
    }

    public static func age(seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "–" }
        if seconds < 90 { return "\(Int(seconds)) s" }
        if seconds < 5_400 { return "\(Int(seconds / 60)) min" }
        if seconds < 172_800 { return "\(Int(seconds / 3_600)) h" }
        return "\(Int(seconds / 86_400)) days"
    }
}
