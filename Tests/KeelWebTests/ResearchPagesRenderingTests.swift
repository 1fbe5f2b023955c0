import Foundation
import KeelWeb
import SnapshotTesting
import Testing

/// The models, data and backtests pages rendered from their models alone: snapshots, and what must hold
/// whatever the data (confirmations, errors beside fields, live refresh, every form's CSRF token).
@Suite("Workspace research pages (rendering)")
struct ResearchPagesRenderingTests {
    static let day = PageRenderingTests.day
    static let viewer = PageRenderingTests.viewer
    static func days(_ count: Int) -> [Date] { (0..<count).map { day.addingTimeInterval(Double($0) * 86_400) } }

    static func models(confirmation: ModelsPage.Model.Confirmation? = nil, form: ModelsPage.Model.TrainingForm = .init(), training: ModelsPage.Model.Training? = nil) -> ModelsPage.Model {
        let version = ModelsPage.Model.Version(modelID: "m1", family: "ml", modelType: "ridge", version: "ridge/v1", status: "trained", gatePassed: false, shadow: false,
                                          createdAt: day, sharpe: 0.4, rankIC: 0.031)
        let detail = ModelsPage.Model.Detail(version: version, symbols: ["AAPL", "MSFT", "NVDA"], dataFrom: day, dataTo: day.addingTimeInterval(400 * 86_400), horizonDays: 21,
                                        gateReasons: ["rank IC t-statistic 1.20 is below 2.00"],
                                        windowIC: days(4).enumerated().map { ($0.element, 0.02 + Double($0.offset) * 0.01, 0.01) },
                                        figures: [.init(name: "model", sharpe: 0.4, cagr: 0.08, maxDrawdown: -0.12, turnover: 3.1),
                                                  .init(name: "buy_and_hold", sharpe: 0.5, cagr: 0.09, maxDrawdown: -0.2, turnover: 0.2)], error: nil)
        return ModelsPage.Model(viewer: viewer, versions: [version], selected: detail, deployed: ["ml": "ridge/v0"],
                           deployments: [.init(family: "ml", version: "ridge/v0", previousVersion: nil, action: "deploy", reason: nil, by: "advisor", at: day)],
                           training: training, portfolios: [(1, "growth_momentum")], form: form, confirmation: confirmation, canOverride: false, notice: nil, error: nil)
    }

    @Test func modelsPageSnapshotAndConfirmation() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: ModelsPage.render(Self.models()), as: .lines, named: "models")
        }
        let plain = ModelsPage.render(Self.models())
        #expect(plain.contains("Gate failed") && plain.contains("rank IC t-statistic 1.20 is below 2.00"))
        #expect(!plain.contains("action=\"/app/models/m1/deploy\""), "deploying takes a confirmation step first")
        let confirm = ModelsPage.render(Self.models(confirmation: .deploy(modelID: "m1", version: "ridge/v1", gatePassed: false)))
        #expect(confirm.contains("action=\"/app/models/m1/deploy\"") && confirm.contains("for=\"override-reason\""))
        #expect(confirm.contains("Only an admin can deploy past a failed gate."))
        let rollback = ModelsPage.render(Self.models(confirmation: .rollback(family: "ml")))
        #expect(rollback.contains("Roll back the return model?") && rollback.contains("name=\"family\" value=\"ml\""))
    }

    @Test func trainingFormKeepsWhatWasTypedAndWatchesTheJob() {
        let typed = ModelsPage.Model.TrainingForm(modelType: "gbdt", symbols: "AAPL, \"MSFT", from: "2020-01-01", to: "", horizonDays: "x",
                                             errors: ["horizon_days": "horizon_days must be a whole number of trading days"])
        let page = ModelsPage.render(Self.models(form: typed, training: .init(jobID: "j1", modelID: "m1", status: "running", progress: 0.4, message: "window 2 of 5", error: nil)))
        #expect(page.contains("id=\"train-horizon-error\">horizon_days must be a whole number"))
        #expect(page.contains("value=\"AAPL, &quot;MSFT\"") && page.contains("value=\"gbdt\" selected"))
        #expect(page.contains("http-equiv=\"refresh\" content=\"3\""), "the page follows a running job")
        #expect(page.contains("window 2 of 5") && page.contains("<progress"))
        #expect(!ModelsPage.render(Self.models()).contains("http-equiv"), "nothing to follow: no refresh")
    }

    static func data(running: Bool) -> DataPage.Model {
        let points = days(30).map { ($0, 100.0 + Double.random(in: -1...1)) }
        return DataPage.Model(
            viewer: viewer,
            runs: [.init(runID: "r1", mode: "incremental", status: running ? "running" : "succeeded", symbolsDone: 3, symbolsTotal: 10, barsStored: 30, barsRejected: 1,
                         barsQuarantined: 0, issuesFound: 2, startedAt: day, finishedAt: nil, error: nil)],
            severityCounts: [("critical", 1), ("error", 0), ("warning", 4)],
            issues: [.init(symbol: "AAPL", timestamp: day, kind: "ohlc_inconsistent", severity: "critical", action: "quarantine", detail: "high < low")],
            severity: nil, symbols: ["AAPL", "SPY"], symbol: "SPY",
            chart: .init(symbol: "SPY", close: points, sma20: points, bollingerUpper: points, bollingerLower: points, rsi14: points.map { ($0.0, 50) }, lastBar: day),
            newestBar: day, now: day.addingTimeInterval(3_600))
    }

    @Test func dataPageShowsRunsIssuesAndTheChart() {
        let page = DataPage.render(Self.data(running: true))
        #expect(page.contains("3/10") && page.contains("http-equiv=\"refresh\""), "a running run's progress, followed live")
        #expect(page.contains("high &lt; low") && page.contains("Quality issues: critical"))
        #expect(page.contains("SPY: close, 20-day average and Bollinger bands") && page.contains("SPY: RSI 14"))
        #expect(!DataPage.render(Self.data(running: false)).contains("http-equiv"))
        var empty = Self.data(running: false)
        empty.chart = nil
        empty.symbol = "ZZZ"
        #expect(DataPage.render(empty).contains("No stored bars for ZZZ."))
    }

    @Test func dataPageListsSplitsAndOffersTheFormOnlyToAnAdministrator() {
        var model = Self.data(running: false)
        #expect(DataPage.render(model).contains("No splits recorded.") && !DataPage.render(model).contains("Schedule the split"))
        model.splits = [.init(symbol: "NVDA", exDate: "2026-06-10", newShares: 10, oldShares: 1, recordedBy: "admin", appliedAt: nil, accountsAdjusted: nil,
                              batchesExpired: nil),
                        .init(symbol: "GE", exDate: "2026-01-05", newShares: 1, oldShares: 8, recordedBy: "admin", appliedAt: Self.day, accountsAdjusted: 12, batchesExpired: 3,
                              cashInLieuPrice: Decimal(string: "96.4")!)]
        model.canRecordSplits = true
        model.error = DataPage.splitMessages["conflicting_split"]
        let page = DataPage.render(model)
        #expect(page.contains("10-for-1") && page.contains(">scheduled<") && page.contains("1-for-8") && page.contains("applied ") && page.contains(">12<"))
        #expect(page.contains(">$96.4 a share<") && page.contains("Cash in lieu"), "the price a fraction was paid at")
        #expect(page.contains("action=\"/app/data/splits\"") && page.contains("name=\"ex_date\"") && page.contains("Schedule the split"))
        #expect(page.contains("role=\"alert\">Another ratio is already scheduled"))
    }

    static func backtests(form: BacktestsPage.Model.Form = .init()) -> BacktestsPage.Model {
        let row = BacktestsPage.Model.Row(backtestID: "b1", strategy: "momentum", symbols: "AAPL, MSFT", status: "succeeded", createdBy: "advisor", createdAt: day, error: nil)
        let equity = days(5).enumerated().map { ($0.element, 100_000 + Double($0.offset) * 1_000) }
        let report = BacktestsPage.Model.Report(row: row, figures: [("Total return", "4.0%"), ("Sharpe", "1.10")], equity: equity, benchmark: equity, benchmarkName: "SPY",
                                           drawdown: equity.map { ($0.0, 0) },
                                           trades: [.init(symbol: "AAPL", entry: day, exit: day.addingTimeInterval(86_400), quantity: 10, entryPrice: 100, exitPrice: 110, profitLoss: 100)],
                                           tradeCount: 1)
        return BacktestsPage.Model(viewer: viewer, strategies: ["momentum", "model:1"], rows: [row], report: report, form: form)
    }

    @Test func backtestsPageSnapshotAndForm() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: BacktestsPage.render(Self.backtests()), as: .lines, named: "backtests")
        }
        let typed = BacktestsPage.render(Self.backtests(form: .init(strategy: "model:1", symbols: "AAPL,", cash: "lots", schwabFees: false,
                                                                    errors: ["cash": "cash must be a number"])))
        #expect(typed.contains("id=\"bt-cash-error\">cash must be a number") && typed.contains("value=\"lots\""))
        #expect(typed.contains("value=\"model:1\" selected") && !typed.contains("checked"))
    }

    @Test func theStandaloneReportIsTheWorkspacesReportWithoutTheChrome() throws {
        var report = try #require(Self.backtests().report)
        report.summary = "AAPL, MSFT · 2026-06-01 to 2026-06-05 · 2 fills · 1.5 ms"
        report.monthly = [.init(year: 2026, months: [nil, nil, nil, nil, 0.012, -0.034] + Array(repeating: nil, count: 6), total: -0.0224)]
        let page = BacktestReportPage.render(report)
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: page, as: .lines, named: "report")
        }
        #expect(page.contains("<title>Backtest: momentum · Keel</title>") && !page.contains("<nav") && !page.contains("Sign out"))
        #expect(page.contains("Monthly returns") && page.contains(">-3.4</td>") && page.contains("<b>-2.2</b>"))
        #expect(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"), "nothing is fetched")
        // The same section the workspace page shows.
        #expect(BacktestsPage.render(BacktestsPage.Model(viewer: Self.viewer, strategies: [], rows: [], report: report, form: .init())).contains("Monthly returns"))
    }

    @Test func everyFormCarriesItsTokenAndEveryInputALabel() {
        for page in [ModelsPage.render(Self.models(confirmation: .deploy(modelID: "m1", version: "v", gatePassed: false))), DataPage.render(Self.data(running: false)),
                     BacktestsPage.render(Self.backtests())] {
            let posts = page.components(separatedBy: "method=\"post\"").count - 1
            #expect(posts == page.components(separatedBy: "name=\"csrf\"").count - 1, "every posted form carries the CSRF token")
            var rest = Substring(page)
            while let range = rest.range(of: "<input ") {
                let tag = rest[range.lowerBound...].prefix { $0 != ">" }
                rest = rest[range.upperBound...]
                guard !tag.contains("type=\"hidden\""), let id = tag.range(of: "id=\"").map({ tag[$0.upperBound...].prefix { $0 != "\"" } }) else { continue }
                #expect(page.contains("for=\"\(id)\""), "input \(id) has a label")
            }
            #expect(page.utf8.count < 200_000)
        }
    }
}
