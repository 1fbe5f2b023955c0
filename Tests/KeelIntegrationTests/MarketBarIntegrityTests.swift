import Foundation
import KeelCore
@_spi(RawSQL) import KeelStore
import KeelTestSupport
import Testing

/// Bars belong to an instrument on both databases: on PostgreSQL a statement-level trigger stands in for the per-row
/// foreign key (see M028), so the guarantee is checked here rather than assumed.
@Suite("Market bar integrity")
struct MarketBarIntegrityTests {
    static func series(_ symbol: String, days: Int) -> BarSeries {
        var series = BarSeries(symbol: symbol)
        for day in 0..<days {
            series.append(timestamp: TestFixtures.now.addingTimeInterval(Double(day - days) * 86_400), open: 10, high: 11, low: 9, close: 10, volume: 100)
        }
        return series
    }

    @Test("bars of an unknown instrument are refused as a whole; deleting an instrument deletes its bars", arguments: TestDatabase.available)
    func barsNeedTheirInstrument(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            await #expect(throws: (any Error).self, "no instrument NOSUCH") {
                try await app.database.write { try await $0.marketBars.upsert(Self.series("NOSUCH", days: 5), interval: "1d", source: "test") }
            }
            #expect(try await app.count("market_bars", where: "symbol = 'NOSUCH'") == 0)

            try await app.database.write { session in
                try await session.referenceData.ensureInstruments([Instrument(symbol: "KEEP", assetClass: .equity, name: "Keep"),
                                                                   Instrument(symbol: "GONE", assetClass: .equity, name: "Gone")])
                try await session.marketBars.upsert(Self.series("KEEP", days: 5), interval: "1d", source: "test")
                try await session.marketBars.upsert(Self.series("GONE", days: 7), interval: "1d", source: "test")
            }
            #expect(try await app.count("market_bars", where: "symbol = 'GONE'") == 7)
            // A second write of the same bars updates them in place (the unique key), and still checks the instrument.
            try await app.database.write { try await $0.marketBars.upsert(Self.series("GONE", days: 7), interval: "1d", source: "again") }
            #expect(try await app.count("market_bars", where: "symbol = 'GONE' AND source = 'again'") == 7)
            try await app.database.write { try await $0.sql.raw("DELETE FROM instruments WHERE symbol = 'GONE'").run() }
            #expect(try await app.count("market_bars", where: "symbol = 'GONE'") == 0)
            #expect(try await app.count("market_bars", where: "symbol = 'KEEP'") == 5)
        }
    }

    @Test("writers racing to store the same new series all succeed and store it once (a new series skips the conflict check, and falls back)",
          arguments: TestDatabase.available)
    func racingWritersOfANewSeries(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 6) { app in
            try await app.database.write { try await $0.referenceData.ensureInstruments([Instrument(symbol: "RACE", assetClass: .equity, name: "Race")]) }
            let database = app.database
            let outcomes = await withTaskGroup(of: String.self) { group in
                for writer in 0..<6 {
                    group.addTask {
                        do {
                            try await database.write { try await $0.marketBars.upsert(Self.series("RACE", days: 300), interval: "1d", source: "writer-\(writer)") }
                            return "ok"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == "ok" }, "\(outcomes)")
            #expect(try await app.count("market_bars", where: "symbol = 'RACE'") == 300)
        }
    }
}
