import Foundation
import KeelTestSupport
import Testing

@Suite("Data pipeline", .enabled(if: MarketDataFiles.runs, MarketDataFiles.skipReason))
struct DataPipelineTests {
    /// POST /api/data/pipeline/runs and wait for the run to finish.
    func run(_ app: KeelTestApp, _ token: String, _ body: [String: any Sendable]) async throws -> TestResponse {
        var body = body
        body["wait"] = true
        return try await app.request(.POST, "/api/data/pipeline/runs", token: token, json: body)
    }

    func issues(_ app: KeelTestApp, _ token: String, symbol: String) async throws -> [[String: Any]] {
        try await app.request(.GET, "/api/data/quality?symbol=\(symbol)&limit=10000", token: token).object.objects("issues")
    }

    @Test("a daily import of real files stores, validates and serves bars, indicators and fundamentals", arguments: TestDatabase.available)
    func dailyPipelineEndToEnd(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let folder = try MarketDataFiles.scratchFolder()
            let files = ["AAPL", "ABBV", "AMZN", "BA", "CAT"]
            for symbol in files {
                try MarketDataFiles.copy("equities/sp500_5yr/\(symbol).csv", to: folder.appendingPathComponent("\(symbol).csv"))
            }
            let result = try await run(app, token, ["source": "csv", "path": folder.path, "mode": "full"])
            #expect(result.status == .ok, "\(result)")
            #expect(result.object.string("status") == "succeeded")
            var expected = 0
            for symbol in files { expected += try MarketDataFiles.rowCount("equities/sp500_5yr/\(symbol).csv") }
            #expect(result.object.int("bars_stored") == expected)
            #expect(try await app.count("market_bars", where: "source LIKE 'csv:%'") == expected)

            let bars = try await app.request(.GET, "/api/data/bars/AAPL?from=2013-02-08&to=2013-02-28", token: token)
            #expect(bars.array.first?.double("close") == 67.8542)
            #expect(bars.array.count == 14, "February 2013 sessions from the 8th, Presidents Day (the 18th) excluded")
            let indicators = try await app.request(.GET, "/api/data/indicators/AAPL", token: token).object
            let columns = try #require(indicators["columns"] as? [String])
            let smaIndex = try #require(columns.firstIndex(of: "sma_20"))
            let sma = try #require((indicators["values"] as? [[Any]])?[smaIndex])
            #expect(sma[18] is NSNull && sma[19] is NSNumber, "SMA(20) warms up over 19 bars")

            let features = try await app.request(.GET, "/api/data/features?symbols=AAPL,AMZN&from=2017-01-03&to=2017-01-03", token: token).object
            #expect(features.objects("rows").count == 2)
            #expect((features["names"] as? [String])?.contains("rank_mom_12_1") == true)

            let fundamentals = try await run(app, token, ["source": "csv", "path": MarketDataFiles.path("fundamentals")])
            #expect(fundamentals.object.string("status") == "succeeded", "\(fundamentals)")
            let early = try await app.request(.GET, "/api/data/fundamentals/AAPL?as_of=2017-12-31", token: token)
            #expect(early.status == .notFound, "no snapshot was published before 2018-02-08")
            let snapshot2018 = try await app.request(.GET, "/api/data/fundamentals/MMM?as_of=2020-06-30", token: token).object
            #expect(snapshot2018.string("as_of")?.hasPrefix("2018-02-08") == true)
            #expect(abs((snapshot2018.double("dividend_yield") ?? 0) - 0.023328617) < 1e-9, "percent converted to a fraction")
            #expect((snapshot2018.double("week52_low") ?? 1) < (snapshot2018.double("week52_high") ?? 0), "swapped 52-week columns corrected")
            let snapshot2026 = try await app.request(.GET, "/api/data/fundamentals/MMM?as_of=2026-09-01", token: token).object
            #expect(snapshot2026.string("as_of")?.hasPrefix("2026-08-22") == true)
            #expect(snapshot2026.string("sub_industry") == "Industrial Conglomerates")
            #expect(snapshot2026["sector"] == nil || snapshot2026["sector"] is NSNull)
        }
    }

    @Test("an incremental update adds only bars newer than the last stored", arguments: TestDatabase.available)
    func incrementalUpdate(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let folder = try MarketDataFiles.scratchFolder()
            let file = folder.appendingPathComponent("ABT.csv")
            try MarketDataFiles.copy("equities/sp500_5yr/ABT.csv", to: file) { index, _ in index < 800 }
            #expect(try await run(app, token, ["source": "csv", "path": file.path]).object.int("bars_stored") == 800)

            try MarketDataFiles.copy("equities/sp500_5yr/ABT.csv", to: file)
            let total = try MarketDataFiles.rowCount("equities/sp500_5yr/ABT.csv")
            let update = try await run(app, token, ["source": "csv", "path": file.path, "mode": "incremental"])
            #expect(update.object.int("bars_stored") == total - 800, "\(update)")
            #expect(try await app.count("market_bars", where: "symbol = 'ABT' AND source LIKE 'csv:%'") == total)
            let again = try await run(app, token, ["source": "csv", "path": file.path, "mode": "incremental"])
            #expect(again.object.int("bars_stored") == 0)
            #expect(try await app.count("market_bars", where: "symbol = 'ABT' AND source LIKE 'csv:%'") == total)
        }
    }

    @Test("validation finds the documented anomalies of the real data", arguments: TestDatabase.available)
    func documentedAnomalies(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let folder = try MarketDataFiles.scratchFolder()
            for symbol in ["BMY", "BHF", "AOS", "CHD", "BBY", "CHK"] {
                try MarketDataFiles.copy("equities/sp500_5yr/\(symbol).csv", to: folder.appendingPathComponent("\(symbol).csv"))
            }
            #expect(try await run(app, token, ["source": "csv", "path": folder.path]).object.string("status") == "succeeded")
            for (path, symbol) in [("equities/quandl_wiki/AAPL.csv", "QAAPL"), ("equities/quandl_wiki/MSFT.csv", "QMSFT"),
                                   ("equities/yahoo_mplfinance/SPY.csv", "YSPY"), ("crypto/bitstamp_BTCUSD_1d.csv", "BTCUSD")] {
                let result = try await run(app, token, ["source": "csv", "path": MarketDataFiles.path(path), "symbol": symbol])
                #expect(result.object.string("status") == "succeeded", "\(result)")
            }
            func kinds(_ symbol: String) async throws -> [(String, String, String)] {
                try await issues(app, token, symbol: symbol).map { ($0.string("kind") ?? "", String(($0.string("time") ?? "").prefix(10)), $0.string("action") ?? "") }
            }
            let bmy = try await kinds("BMY").filter { $0.0 == "missing_session" }.map(\.1)
            #expect(bmy == ["2013-04-26", "2013-06-07"])
            #expect(try await kinds("BHF").contains { $0 == ("missing_price", "2017-07-26", "reject") })
            let bhf = try await app.request(.GET, "/api/data/bars/BHF?from=2017-07-25&to=2017-07-27", token: token).array
            #expect(bhf.compactMap { $0.string("time")?.prefix(10) } == ["2017-07-25", "2017-07-27"], "the empty BHF bar is not stored")
            for (symbol, day) in [("AOS", "2014-05-19"), ("CHD", "2014-05-19"), ("BBY", "2016-03-14"), ("CHK", "2014-06-30"),
                                  ("YSPY", "2015-03-05"), ("YSPY", "2015-03-30")] {
                #expect(try await kinds(symbol).contains { $0 == ("ohlc_inconsistent", day, "quarantine") }, "\(symbol) \(day)")
            }
            let aapl = try await kinds("QAAPL")
            #expect(aapl.filter { $0.0 == "unadjusted_split" }.map(\.1) == ["2000-06-21", "2005-02-28"])
            #expect(aapl.contains { $0.0 == "extreme_return" && $0.1 == "2000-09-29" }, "the 2000-09-29 crash is real, not a split")
            let msft = try await kinds("QMSFT")
            #expect(msft.filter { $0.0 == "unadjusted_split" }.map(\.1) == ["2003-02-18"])
            #expect(!msft.contains { $0.0 == "missing_session" && $0.1.hasPrefix("2001-09-1") }, "the 9/11 closure is in the calendar")
            let btcGaps = try await kinds("BTCUSD").filter { $0.0 == "missing_session" }.map(\.1)
            #expect(btcGaps.count == 12 && btcGaps.first == "2019-03-20" && btcGaps.last == "2019-03-31", "\(btcGaps)")
            // Quarantined bars stay out of the data models and strategies read.
            let quarantined = try await app.request(.GET, "/api/data/bars/AOS?from=2014-05-19&to=2014-05-19", token: token).array
            #expect(quarantined.first?.string("quality") == "quarantined")

            // The policy is per run: accepting errors stores the CHK bar, flagged but not quarantined.
            let chk = folder.appendingPathComponent("CHK.csv").path
            let lenient = try await run(app, token, ["source": "csv", "path": chk, "symbol": "CHK2", "policy": ["error": "accept"]])
            #expect(lenient.object.string("status") == "succeeded")
            let accepted = try await app.request(.GET, "/api/data/bars/CHK2?from=2014-06-30&to=2014-06-30", token: token).array
            #expect(accepted.first?.string("quality") == "warning")
            let badPolicy = try await app.request(.POST, "/api/data/pipeline/runs", token: token,
                                                  json: ["source": "csv", "path": chk, "policy": ["error": "ignore"], "wait": true])
            #expect(badPolicy.status == .unprocessableEntity)
            #expect(badPolicy.errorField == "policy")
        }
    }

    @Test("a failure part-way keeps finished symbols; resume continues without duplicates", arguments: TestDatabase.available)
    func errorRecoveryAndResume(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let folder = try MarketDataFiles.scratchFolder()
            try MarketDataFiles.copy("equities/sp500_5yr/AAPL.csv", to: folder.appendingPathComponent("A1.csv"))
            // The second file is corrupt half-way through.
            try MarketDataFiles.copy("equities/sp500_5yr/ABBV.csv", to: folder.appendingPathComponent("B2.csv")) { index, line in true }
            let broken = folder.appendingPathComponent("B2.csv")
            var lines = try String(contentsOf: broken, encoding: .utf8).split(separator: "\n").map(String.init)
            lines[600] = "2015-07-01,abc,1,1,1,,100"
            try lines.joined(separator: "\n").write(to: broken, atomically: true, encoding: .utf8)
            try MarketDataFiles.copy("equities/sp500_5yr/AMZN.csv", to: folder.appendingPathComponent("C3.csv"))

            let failed = try await run(app, token, ["source": "csv", "path": folder.path])
            #expect(failed.object.string("status") == "failed")
            #expect(failed.object.string("error")?.contains("line 601") == true, "\(failed)")
            #expect(failed.object.int("cursor") == 1)
            let runID = try #require(failed.object.string("run_id"))
            #expect(try await app.count("market_bars", where: "symbol = 'A1'") == MarketDataFiles.rowCount("equities/sp500_5yr/AAPL.csv"))
            #expect(try await app.count("market_bars", where: "symbol IN ('B2', 'C3')") == 0)

            try MarketDataFiles.copy("equities/sp500_5yr/ABBV.csv", to: broken)
            let resumed = try await app.request(.POST, "/api/data/pipeline/runs/\(runID)/resume", token: token)
            #expect(resumed.object.string("status") == "succeeded", "\(resumed)")
            for (symbol, source) in [("A1", "AAPL"), ("B2", "ABBV"), ("C3", "AMZN")] {
                #expect(try await app.count("market_bars", where: "symbol = '\(symbol)'") == MarketDataFiles.rowCount("equities/sp500_5yr/\(source).csv"))
            }
            let again = try await app.request(.POST, "/api/data/pipeline/runs/\(runID)/resume", token: token)
            #expect(again.status == .conflict, "a finished run cannot be resumed")
        }
    }

    @Test("a backfill adds an earlier range and nothing that is already stored", arguments: TestDatabase.available)
    func backfill(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let folder = try MarketDataFiles.scratchFolder()
            let file = folder.appendingPathComponent("ACN.csv")
            try MarketDataFiles.copy("equities/sp500_5yr/ACN.csv", to: file) { _, line in line >= "2015-01-01" }
            let later = try await run(app, token, ["source": "csv", "path": file.path]).object.int("bars_stored") ?? 0
            try MarketDataFiles.copy("equities/sp500_5yr/ACN.csv", to: file)

            let missingRange = try await app.request(.POST, "/api/data/pipeline/runs", token: token,
                                                     json: ["source": "csv", "path": file.path, "mode": "backfill", "wait": true])
            #expect(missingRange.status == .unprocessableEntity)
            #expect(missingRange.errorField == "from")

            let result = try await run(app, token, ["source": "csv", "path": file.path, "mode": "backfill", "from": "2014-01-01", "to": "2015-06-30"])
            let text = try String(contentsOfFile: MarketDataFiles.path("equities/sp500_5yr/ACN.csv"), encoding: .utf8)
            let expected = text.split(separator: "\n").filter { $0 >= "2014-01-01" && $0 < "2015-01-01" }.count
            #expect(result.object.int("bars_stored") == expected, "\(result)")
            #expect(try await app.count("market_bars", where: "symbol = 'ACN' AND source LIKE 'csv:%'") == later + expected)
        }
    }

    @Test("hourly crypto imports at 1h with the 24/7 calendar", arguments: TestDatabase.available)
    func hourlyCrypto(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let result = try await run(app, token, ["source": "csv", "path": MarketDataFiles.path("crypto/BTCUSD_1h_cdd_2017_2019.csv")])
            #expect(result.object.string("status") == "succeeded", "\(result)")
            #expect(try await app.count("market_bars", where: "symbol = 'BTCUSD' AND interval = '1h'") == 20_111)
            let report = try await issues(app, token, symbol: "BTCUSD")
            #expect(!report.contains { $0.string("kind") == "missing_session" }, "the file has no hourly gaps")
            #expect(report.filter { $0.string("kind") == "zero_volume" }.count == 28)
        }
    }
}
