import Foundation
import KeelCore
import Testing

/// The one date reader: every real day reads back as itself, impossible ones are refused, offsets are applied as
/// Foundation's RFC 3339 reader applies them, over many seeded dates.
@Suite("Date text")
struct DateTextTests {
    @Test("every real day from 1900 to 2100 round-trips; the day after each month's last is refused")
    func everyDay() {
        var day = CivilDay(year: 1900, month: 1, day: 1)
        let end = CivilDay(year: 2100, month: 12, day: 31)
        var count = 0
        while day <= end {
            #expect(DateText.day(day.description) == day)
            let (y, m, d) = day.components
            let next = day.adding(days: 1).components
            if next.month != m {
                // 2015-02-29, 2016-02-30, 2015-04-31 …
                #expect(DateText.day(String(format: "%04d-%02d-%02d", y, m, d + 1)) == nil, "\(y)-\(m)-\(d + 1)")
                count += 1
            }
            day = day.adding(days: 1)
        }
        #expect(count == 201 * 12)
    }

    @Test("impossible and malformed text is refused, never read as a nearby date")
    func refused() {
        for text in ["2015-02-31", "2015-02-29", "2015-13-01", "2015-00-10", "2015-01-00", "2015-1-01", "15-01-01", "2015/01/01", "2015-01-01x",
                     "2015-01-01T25:00:00Z", "2015-01-01T10:60Z", "2015-01-01T10:00:61Z", "2015-01-01T10:00:00+24:00", "2015-01-01T10:00:00+05", "2015-01-01T10:00:00+050",
                     "2015-01-01T10", "2015-01-01T10:00:00.Z", "", " 2015-01-01", "２０１５-01-01"] {
            #expect(DateText.instant(text) == nil, "\(text)")
        }
        #expect(DateText.day("2015-01-01T00:00:00Z") == nil, "a day is exactly YYYY-MM-DD")
    }

    @Test("date-times with offsets and fractions read as Foundation's RFC 3339 reader reads them (many seeded instants)")
    func offsetsMatchFoundation() {
        var generator = SeededGenerator(seed: 20_261_206)
        let plain = ISO8601DateFormatter()
        for _ in 0..<2_000 {
            let moment = Date(timeIntervalSince1970: Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator)))
            let minutes = Int.random(in: -14 * 60...14 * 60, using: &generator)
            plain.timeZone = TimeZone(secondsFromGMT: minutes * 60)
            let text = plain.string(from: moment)
            #expect(DateText.instant(text)?.date == moment, "\(text)")
            #expect(DateText.instant(text)?.hasTime == true)
            let spaced = text.replacingOccurrences(of: "T", with: " ")
            #expect(DateText.instant(spaced)?.date == moment, "\(spaced)")
        }
        #expect(DateText.instant("2026-06-30T12:00:00.250-04:00")?.date == Date(timeIntervalSince1970: 1_782_835_200.25))
        #expect(DateText.instant("2026-06-30")?.hasTime == false)
        #expect(DateText.instant("2026-06-30T16:00")?.date == Date(timeIntervalSince1970: 1_782_835_200), "no offset: UTC")
        #expect(DateText.instant("2026-06-30T16:00:00+0000")?.date == Date(timeIntervalSince1970: 1_782_835_200), "Schwab's compact offset")
    }

    @Test("format writes what instant reads, in every offset style (many seeded instants)")
    func formatRoundTrips() {
        var generator = SeededGenerator(seed: 61)
        for _ in 0..<2_000 {
            let milliseconds = Int.random(in: -2_000_000_000_000...4_000_000_000_000, using: &generator)
            let moment = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let offset = Int.random(in: -14 * 4...14 * 4, using: &generator) * 900
            for style in [DateText.OffsetStyle.colon, .compact] {
                let text = DateText.format(moment, offset: offset, style: style, milliseconds: true)
                #expect(abs((DateText.instant(text)?.date.timeIntervalSince1970 ?? .nan) - moment.timeIntervalSince1970) < 0.0005, "\(text)")
            }
            let whole = Date(timeIntervalSince1970: Double(milliseconds / 1000))
            #expect(DateText.instant(DateText.format(whole))?.date == whole)
        }
        #expect(DateText.format(Date(timeIntervalSince1970: 1_737_134_389), style: .compact) == "2025-01-17T17:19:49+0000")
        #expect(DateText.format(Date(timeIntervalSince1970: 1_782_835_200), offset: -4 * 3600, style: .colon) == "2026-06-30T12:00:00-04:00")
    }
}
