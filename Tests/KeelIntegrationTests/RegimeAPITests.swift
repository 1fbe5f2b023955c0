import Foundation
import KeelTestSupport
import Testing

@Suite("Regime API")
struct RegimeAPITests {
    @Test("current and history of a stored symbol, with inputs; bad symbols and ranges are refused by field", arguments: TestDatabase.available)
    func regimeRoutes(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let current = try await app.request(.GET, "/api/regime/current?symbol=SPY", token: token)
            #expect(current.status == .ok, "\(current)")
            #expect(["bull", "bear", "high_volatility", "sideways"].contains(current.object.string("regime") ?? ""))
            #expect((current.object["inputs"] as? [String: Any])?["volatility_percentile"] != nil)
            let history = try await app.request(.GET, "/api/regime/history?symbol=spy&from=2026-01-01&to=2026-03-31", token: token)
            #expect(history.status == .ok && history.array.count > 40, "\(history)")
            let all = try await app.request(.GET, "/api/regime/history?symbol=SPY", token: token)
            #expect(all.status == .ok, "early days with no 200-day average answer null inputs, not an error")
            #expect(try await app.request(.GET, "/api/regime/history?symbol=SPY&from=2026-03-01&to=2026-01-01", token: token).errorField == "from")
            #expect(try await app.request(.GET, "/api/regime/current?symbol=%3Cscript%3E", token: token).errorField == "symbol")
            #expect(try await app.request(.GET, "/api/regime/current?symbol=NOPE", token: token).status == .notFound)
            #expect(try await app.request(.GET, "/api/regime/current?symbol=SPY").status == .unauthorized)
        }
    }
}
