import Foundation
import KeelCore
import Testing

@Suite("Price freshness")
struct PriceFreshnessTests {
    static func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }
    static func day(_ text: String) -> Date { at(text + "T00:00:00Z") }

    @Test("equities: the latest completed NYSE session decides; weekends and holidays are not sessions")
    func equities() {
        let freshness = PriceFreshness()
        // Monday 2026-06-01, 11:00 New York: the session is open, Friday's is the latest completed.
        let morning = Self.at("2026-06-01T15:00:00Z")
        #expect(freshness.latestCompletedSession(asOf: morning, assetClass: .equity).description == "2026-05-29")
        #expect(freshness.staleness(lastBar: Self.day("2026-05-29"), asOf: morning, assetClass: .equity) == nil)
        #expect(freshness.staleness(lastBar: Self.day("2026-06-01"), asOf: morning, assetClass: .equity) == nil, "today's bar in progress is fresher")
        #expect(freshness.staleness(lastBar: Self.day("2026-05-28"), asOf: morning, assetClass: .equity) != nil)
        // After the close Monday's bar is needed.
        let evening = Self.at("2026-06-01T20:30:00Z")
        #expect(freshness.staleness(lastBar: Self.day("2026-05-29"), asOf: evening, assetClass: .equity) != nil)
        #expect(PriceFreshness(sessionsBehind: 1).staleness(lastBar: Self.day("2026-05-29"), asOf: evening, assetClass: .equity) == nil)
        // Tuesday after Memorial Day (2026-05-25), before the open: Friday 22nd is the latest completed session.
        #expect(freshness.latestCompletedSession(asOf: Self.at("2026-05-26T12:00:00Z"), assetClass: .equity).description == "2026-05-22")
        #expect(freshness.staleness(lastBar: nil, asOf: morning, assetClass: .equity) != nil, "no bar at all is stale")
    }

    @Test("crypto: the latest completed UTC day")
    func crypto() {
        let freshness = PriceFreshness()
        let now = Self.at("2026-06-01T15:00:00Z")
        #expect(freshness.latestCompletedSession(asOf: now, assetClass: .crypto).description == "2026-05-31")
        #expect(freshness.staleness(lastBar: Self.day("2026-05-31"), asOf: now, assetClass: .crypto) == nil)
        #expect(freshness.staleness(lastBar: Self.day("2026-05-30"), asOf: now, assetClass: .crypto) != nil)
    }
}
