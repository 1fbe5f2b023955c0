import Foundation
import KeelCore
import Testing

@Suite("Exchange calendar")
struct ExchangeCalendarTests {
    let nyse = ExchangeCalendar.nyse

    @Test func knownHolidaysAndClosures() {
        let closed = [(2019, 4, 19), (2020, 11, 26), (2021, 12, 24), (2022, 6, 20), (2001, 9, 11), (2001, 9, 14), (2012, 10, 29),
                      (2018, 12, 5), (2023, 1, 2), (2015, 7, 3), (2017, 1, 16), (2016, 2, 15), (2020, 5, 25), (2020, 9, 7)]
        for (y, m, d) in closed { #expect(!nyse.isSession(CivilDay(year: y, month: m, day: d)), "\(y)-\(m)-\(d)") }
        let open = [(2021, 12, 31), (2022, 6, 17), (2001, 9, 17), (2013, 7, 3), (2019, 12, 24)]
        for (y, m, d) in open { #expect(nyse.isSession(CivilDay(year: y, month: m, day: d)), "\(y)-\(m)-\(d)") }
        #expect(nyse.isEarlyClose(CivilDay(year: 2019, month: 11, day: 29)))
        #expect(nyse.isEarlyClose(CivilDay(year: 2019, month: 12, day: 24)))
    }

    @Test func sessionsPerYear() {
        for (year, count) in [(2013, 252), (2016, 252), (2019, 252), (2022, 251), (2001, 248)] {
            let sessions = nyse.sessions(from: CivilDay(year: year, month: 1, day: 1), through: CivilDay(year: year, month: 12, day: 31))
            #expect(sessions.count == count, "\(year)")
        }
        #expect(ExchangeCalendar.alwaysOpen.sessions(from: CivilDay(year: 2020, month: 1, day: 1), through: CivilDay(year: 2020, month: 12, day: 31)).count == 366)
    }

    @Test func civilDaysRoundTrip() {
        for number in stride(from: -1000, to: 30_000, by: 37) {
            let day = CivilDay(number: number)
            let (y, m, d) = day.components
            #expect(CivilDay(year: y, month: m, day: d) == day)
        }
        #expect(CivilDay(year: 2024, month: 6, day: 1).weekday == 6)
    }
}
