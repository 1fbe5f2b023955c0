import Foundation

/// The one strict reading of dates and instants in text, for every API field, form, CLI option and data file:
/// `YYYY-MM-DD` (a real day: 2015-02-31 is refused) and RFC 3339 date-times (`2026-06-30T16:00:00Z`,
/// `…T12:00:00-04:00` with the offset applied, also ISO 8601's `-0400` as Schwab writes it, optional fractional
/// seconds; a space instead of `T` is accepted, and a time without an offset is read as UTC). Anything else is nil,
/// never a nearby date. `format` writes instants the same ways.
public enum DateText {
    /// A calendar day, exactly `YYYY-MM-DD`.
    public static func day(_ text: some StringProtocol) -> CivilDay? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 else { return nil }
        return day(bytes[...])
    }

    /// A day (midnight UTC) or a date-time, with its offset applied. `hasTime`: whether a time was given.
    public static func instant(_ text: some StringProtocol) -> (date: Date, hasTime: Bool)? {
        let bytes = Array(text.utf8)
        return instant(bytes[...])
    }

    /// The same over raw bytes (the CSV reader's hot path).
    public static func instant(_ bytes: ArraySlice<UInt8>) -> (date: Date, hasTime: Bool)? {
        let start = bytes.startIndex
        guard bytes.count >= 10, let day = day(bytes[start..<(start + 10)]) else { return nil }
        guard bytes.count > 10 else { return (day.date, false) }
        var i = start + 10
        guard bytes[i] == UInt8(ascii: "T") || bytes[i] == UInt8(ascii: " ") else { return nil }
        i += 1
        guard let hour = number(bytes, i, 2), hour <= 23, at(bytes, i + 2) == UInt8(ascii: ":"),
              let minute = number(bytes, i + 3, 2), minute <= 59 else { return nil }
        i += 5
        var second = 0
        if at(bytes, i) == UInt8(ascii: ":") {
            guard let s = number(bytes, i + 1, 2), s <= 59 else { return nil }
            second = s
            i += 3
        }
        var fraction = 0.0
        if at(bytes, i) == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let first = i
            while let b = at(bytes, i), b >= 0x30, b <= 0x39 {
                fraction += Double(b - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > first else { return nil }
        }
        var offset = 0
        if let sign = at(bytes, i) {
            if sign == UInt8(ascii: "Z") || sign == UInt8(ascii: "z") {
                i += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                let colon = at(bytes, i + 3) == UInt8(ascii: ":")
                guard let oh = number(bytes, i + 1, 2), oh <= 23, let om = number(bytes, i + (colon ? 4 : 3), 2), om <= 59 else { return nil }
                offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
                i += colon ? 6 : 5
            } else {
                return nil
            }
        }
        guard i == bytes.endIndex else { return nil }
        let seconds = Double(day.number * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
        return (Date(timeIntervalSince1970: seconds), true)
    }

    /// How an instant's offset is written.
    public enum OffsetStyle: Sendable {
        /// `Z` (UTC only).
        case zulu
        /// `+00:00` (RFC 3339).
        case colon
        /// `+0000` (ISO 8601 basic, Schwab's).
        case compact
    }

    /// `YYYY-MM-DDTHH:MM:SS[.mmm]` at `offset` seconds from UTC, with the offset in `style`.
    public static func format(_ date: Date, offset: Int = 0, style: OffsetStyle = .zulu, milliseconds: Bool = false) -> String {
        let local = date.timeIntervalSince1970 + Double(offset)
        let whole = local.rounded(.down)
        let day = CivilDay(number: Int((whole / 86_400).rounded(.down)))
        let second = Int(whole) - day.number * 86_400
        var text = day.description + String(format: "T%02d:%02d:%02d", second / 3600, second % 3600 / 60, second % 60)
        if milliseconds { text += String(format: ".%03d", min(999, Int(((local - whole) * 1000).rounded()))) }
        let magnitude = abs(offset), sign = offset < 0 ? "-" : "+"
        switch style {
        case .zulu: text += "Z"
        case .colon: text += String(format: "%@%02d:%02d", sign, magnitude / 3600, magnitude % 3600 / 60)
        case .compact: text += String(format: "%@%02d%02d", sign, magnitude / 3600, magnitude % 3600 / 60)
        }
        return text
    }

    private static func day(_ bytes: ArraySlice<UInt8>) -> CivilDay? {
        let s = bytes.startIndex
        guard bytes[s + 4] == UInt8(ascii: "-"), bytes[s + 7] == UInt8(ascii: "-"),
              let year = number(bytes, s, 4), let month = number(bytes, s + 5, 2), let day = number(bytes, s + 8, 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        let civil = CivilDay(year: year, month: month, day: day)
        // 2015-02-31 would land on 3 March: a day that does not exist reads back differently.
        guard civil.components == (year, month, day) else { return nil }
        return civil
    }

    private static func at(_ bytes: ArraySlice<UInt8>, _ index: Int) -> UInt8? {
        index < bytes.endIndex ? bytes[index] : nil
    }

    private static func number(_ bytes: ArraySlice<UInt8>, _ start: Int, _ length: Int) -> Int? {
        guard start >= bytes.startIndex, start + length <= bytes.endIndex else { return nil }
        var value = 0
        for i in start..<(start + length) {
            let b = bytes[i]
            guard b >= 0x30, b <= 0x39 else { return nil }
            value = value * 10 + Int(b - 0x30)
        }
        return value
    }
}
