import Foundation
import KeelTestSupport
import KeelWeb
import SnapshotTesting
import Testing

/// Pages are pure functions of their models: rendered here without HTTP or a database, compared with the
/// recorded HTML (`__Snapshots__`), and checked for what must hold whatever the data.
@Suite("Workspace pages")
struct PageRenderingTests {
    static let day = ISO8601DateFormatter().date(from: "2026-06-01T00:00:00Z")!
    static let viewer = Viewer(userID: "advisor", role: "advisor", csrfToken: "csrf-token")

    static func overview(killSwitch: Bool = false) -> OverviewPage.Model {
        OverviewPage.Model(viewer: viewer, assetsUnderManagement: 12_345_678.9, clients: 1_000, accounts: 1_020, batchesAwaitingApproval: 3, openAlerts: 2,
                      regime: "bull", regimeConfidence: 0.72, regimeDay: "2026-06-01",
                      lastCycle: .init(cycleID: "c1", cycleDate: "2026-05-29", status: "completed", accountsDone: 1_020, accountsTotal: 1_020),
                      nextCycle: day.addingTimeInterval(20.5 * 3600),
                      health: .init(database: "ok", dataAgeSeconds: 3_600, brokers: ["paper": ["active": 1_000], "schwab": ["active": 18, "disconnected": 2]],
                                    queuedJobs: 4, runningJobs: 1),
                      killSwitchEngaged: killSwitch, tradingPaused: false,
                      benchmark: (0..<5).map { (day.addingTimeInterval(Double($0) * 86_400), 500 + Double($0) * 2.5) }, benchmarkSymbol: "SPY")
    }

    @Test func overviewSnapshot() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: OverviewPage.render(Self.overview()), as: .lines, named: "overview")
        }
    }

    @Test func errorPageSnapshots() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: ErrorPage.render(viewer: Self.viewer, status: 404, title: ErrorPage.title(status: 404), message: "client 42 not found"),
                           as: .lines, named: "error-404")
            assertSnapshot(of: ErrorPage.render(viewer: nil, status: 500, title: ErrorPage.title(status: 500),
                                                message: "an internal error occurred; it has been logged"), as: .lines, named: "error-500-signed-out")
        }
    }

    @Test func signInSnapshot() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: SignInPage.render(SignInPage.Model(userID: "advisor", error: "wrong user id or password", next: "/app", csrfToken: "t")),
                           as: .lines, named: "sign-in")
        }
    }

    static func queue() -> ApprovalQueuePage.Model {
        ApprovalQueuePage.Model(viewer: viewer, batches: [.init(
            batchID: "b1", client: "Ada Lovelace", accountHash: "acct-1", createdAt: day, expiresAt: day.addingTimeInterval(86_400), strategy: "momentum",
            modelVersion: "momentum-12-1/v1", reason: "bull regime (confidence 0.72): momentum", goalFactor: 1.4, cycleID: "c1", portfolioValue: 100_000,
            estimatedCosts: 12.34, checks: [], orders: [.init(symbol: "AAPL", side: "buy", quantity: 10, price: 200, notional: 2_000, currentWeight: 0.02, targetWeight: 0.04),
                                                       .init(symbol: "MSFT", side: "sell", quantity: 5, price: 400, notional: 2_000, currentWeight: 0.06, targetWeight: 0.04)])],
            notice: nil, error: nil, rejectErrorBatch: "b1")
    }

    @Test func theClientPageShowsTheTaxYearWhenThereIsOne() {
        var model = Self.client()
        #expect(!ClientDetailPage.render(model).contains("Taxes "), "no tax section without one")
        model.tax = .init(year: 2026, taxable: true, shortTermGain: -1_234.5, longTermGain: 2_000, washSaleDisallowed: 300, lotsSold: 7, lotMethod: "minimum_tax")
        let html = ClientDetailPage.render(model)
        #expect(html.contains("<h2>Taxes 2026</h2>") && html.contains("lots sold by minimum tax") && html.contains("Not tax advice"))
        #expect(html.contains("href=\"/app/clients/\(model.clientID)/form-8949?year=2026\""))
    }

    @Test func aTaxableBatchShowsEachSalesEstimatedGainAndTaxAndWhatTheRulesChanged() {
        var model = Self.queue()
        model.batches[0].tax = "lots sold by fifo, taxed at 37.0% short term and 20.0% long term"
        model.batches[0].taxAdjustments = [.init(symbol: "NVDA", reason: "not bought: it would disallow the loss NVDA realised on 2026-05-20 (wash sale)")]
        model.batches[0].orders[1].estimatedGain = 512.5
        model.batches[0].orders[1].estimatedTax = 189.63
        let html = ApprovalQueuePage.render(model)
        #expect(html.contains("<th>Est. realised gain</th><th>Est. tax</th>") && html.contains("$512.50") && html.contains("$189.63"))
        #expect(html.contains("Estimates, not tax advice.") && html.contains("<b>NVDA</b>: not bought") && html.contains("(wash sale)"))
        #expect(!ApprovalQueuePage.render(Self.queue()).contains("Est. tax"), "an untaxed batch has no tax columns")
    }

    @Test func approvalQueueSnapshot() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: ApprovalQueuePage.render(Self.queue()), as: .lines, named: "approvals")
        }
    }

    static func clients() -> ClientListPage.Model {
        ClientListPage.Model(viewer: viewer, query: "ada", page: 2, pageSize: 50, total: 120,
                        rows: [.init(clientID: 7, name: "Ada Lovelace", email: "ada@example.com", riskTolerance: "moderate", status: "active", accounts: 2, value: 250_000)],
                        onboarding: .init(firstName: "Grace", email: "grace@", errors: ["email": "email must be an email address"]))
    }

    static func client() -> ClientDetailPage.Model {
        ClientDetailPage.Model(viewer: viewer, clientID: 7, name: "Ada Lovelace", email: "ada@example.com", riskTolerance: "moderate", portfolio: "balanced",
                          preferences: [("Max positions", "10"), ("Approval", "required")],
                          accounts: [.init(accountHash: "acct-1", broker: "paper", status: "active", cash: 1_000, value: 101_000)],
                          holdings: [.init(symbol: "SPY", quantity: 100, price: 500, value: 50_000, weight: 0.495, target: 0.5),
                                     .init(symbol: "AGG", quantity: 500, price: 100, value: 50_000, weight: 0.495, target: 0.45)],
                          equity: (0..<3).map { (day.addingTimeInterval(Double($0) * 86_400), 100_000 + Double($0) * 500, 0) },
                          goals: [.init(name: "5% this month", status: "active", progress: 0.4)],
                          batches: [.init(batchID: "b1", status: "executed", strategy: "balanced", orders: 2, createdAt: day)],
                          audit: [.init(at: day, action: "batch.approve", actor: "advisor")])
    }

    @Test func clientPagesSnapshots() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: ClientListPage.render(Self.clients()), as: .lines, named: "clients")
            assertSnapshot(of: ClientDetailPage.render(Self.client()), as: .lines, named: "client")
        }
    }

    @Test func onboardingErrorsShowBesideTheirField() {
        let page = ClientListPage.render(Self.clients())
        #expect(page.contains("id=\"email-error\">email must be an email address</p>"))
        #expect(page.contains("value=\"Grace\"") && page.contains("value=\"grace@\""), "what was typed is kept")
        #expect(page.contains("aria-invalid=\"true\""))
        #expect(page.contains("page=1") && page.contains("page=3"), "previous and next pages")
    }

    @Test func everyFormCarriesTheCSRFTokenAndEveryInputALabel() {
        let search = "action=\"/app/clients\" role=\"search\""
        let pages = [OverviewPage.render(Self.overview()), SignInPage.render(SignInPage.Model(csrfToken: "t")), ApprovalQueuePage.render(Self.queue()),
                     ClientListPage.render(Self.clients()).replacingOccurrences(of: "<form method=\"get\" " + search, with: "<search-form"),
                     ClientDetailPage.render(Self.client())]
        for page in pages {
            let forms = page.components(separatedBy: "<form").count - 1
            let tokens = page.components(separatedBy: "name=\"csrf\"").count - 1
            #expect(forms > 0 && forms == tokens, "every form posts its CSRF token")
            for id in ["user_id", "password", "reason-b1", "q", "first_name", "last_name", "email", "phone", "risk_tolerance"] where page.contains("id=\"\(id)\"") {
                #expect(page.contains("for=\"\(id)\""), "input \(id) has a label")
            }
            #expect(page.utf8.count < 200_000, "a page is under 200 KB")
            #expect(!page.contains("<script src") && !page.contains("<link rel=\"stylesheet\""), "no external assets")
        }
    }

    @Test func dataCannotBreakOutOfThePage() {
        var model = Self.overview()
        model.viewer.userID = "<script>alert(1)</script>"
        model.regime = "\"><img src=x onerror=alert(1)>"
        model.benchmarkSymbol = "</svg><script>x</script>"
        let page = OverviewPage.render(model)
        #expect(!page.contains("<script>"), "text is escaped")
        #expect(!page.contains("<img src=x"))
        #expect(page.contains("&lt;script&gt;"))
        // Plot writes attribute values as given: every value a page puts in an attribute is escaped first.
        var clients = Self.clients()
        clients.query = "\"><script>x</script>"
        clients.onboarding.firstName = "\" autofocus onfocus=\"alert(1)"
        let list = ClientListPage.render(clients)
        #expect(!list.contains("<script>x") && !list.contains("\" autofocus"), "an attribute cannot be closed from data")
        #expect(list.contains("value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""))
    }

    /// Plot's `.title()` wrote the title into og:/twitter: meta attributes unescaped: a client named
    /// `"><meta http-equiv="refresh" ...>` sent whoever opened the page off-site. Hostile text must leave the
    /// document's tags, head included, exactly as plain text does.
    @Test(arguments: ["\"><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">", "Ada \"Countess\" Lovelace",
                      "</title><script>alert(1)</script>", "' onload='x"])
    func hostileNamesLeaveTheHeadAlone(name: String) {
        let plain = Self.client()
        var hostile = Self.client()
        hostile.name = name
        let page = ClientDetailPage.render(hostile), reference = ClientDetailPage.render(plain)
        #expect(MarkupStructure.tags(of: page) == MarkupStructure.tags(of: reference), "the name changed the page's tags")
        #expect(MarkupStructure.headTags(of: page).filter { $0.hasPrefix("meta") } == ["meta[charset]", "meta[name,content]"],
                "no preview meta tags and no injected refresh: \(MarkupStructure.headTags(of: page))")
        #expect(!page.contains("<meta http-equiv"), "the name is text, not a tag")
    }

    @Test func theKillSwitchIsImpossibleToMiss() {
        #expect(OverviewPage.render(Self.overview(killSwitch: true)).contains("The kill switch is engaged"))
        #expect(!OverviewPage.render(Self.overview()).contains("The kill switch is engaged"))
    }

    @Test func chartsAreSafeOnAnyData() {
        let empty = LineChart(title: "Equity", series: []).node().render()
        #expect(empty.contains("No data yet"))
        let one = LineChart(title: "Equity", series: [.init(name: "a", points: [(Self.day, 100)])]).node().render()
        #expect(one.contains("<circle"), "a single point is drawn as a dot")
        let flat = LineChart(title: "Flat", series: [.init(name: "a", points: [(Self.day, 5), (Self.day.addingTimeInterval(86_400), 5)])]).node().render()
        #expect(!Self.hasNonFinite(flat))
        let hostile = LineChart(title: "x", series: [.init(name: "a", points: [(Self.day, .nan), (Self.day, .infinity), (Self.day.addingTimeInterval(1), 1)])]).node().render()
        #expect(!Self.hasNonFinite(hostile), "non-finite points are skipped")
    }

    /// A coordinate or label printed from NaN or infinity ("dominant-baseline" contains "nan", so look at values).
    static func hasNonFinite(_ svg: String) -> Bool {
        ["\"nan", "nan,", ",nan", "nan\"", "\"inf", "inf,", ",inf", ">nan", ">inf", "$nan", "$inf"].contains { svg.lowercased().contains($0) }
    }

    @Test func autonomousPageAndRegimeChart() {
        let days = (0..<6).map { RegimeChart.Day(date: Self.day.addingTimeInterval(Double($0) * 86_400), close: 100 + Double($0), regime: $0 < 3 ? "bull" : "bear") }
        let chart = RegimeChart(title: "Regime", days: days).node().render()
        #expect(chart.components(separatedBy: "<title>bull from").count == 2 && chart.components(separatedBy: "<title>bear from").count == 2, "one band per run of days")
        #expect(RegimeChart(title: "Regime", days: []).node().render().contains("No data yet"))
        #expect(!Self.hasNonFinite(RegimeChart(title: "x", days: [.init(date: Self.day, close: .nan, regime: "bull"), .init(date: Self.day, close: 5, regime: "bull")]).node().render()))
        let page = AutonomousPage.render(AutonomousPage.Model(viewer: Self.viewer, regimeDays: days, benchmarkSymbol: "SPY", cycles: [], selected: nil, steps: [],
                                                         outcomes: [], pausedClients: [(3, "holiday")], strategies: ["balanced", "momentum"], killSwitchEngaged: false))
        #expect(page.contains("No cycle has run yet") && page.contains("client 3 (holiday)"))
        let forms = page.components(separatedBy: "<form").count - 1
        #expect(forms == page.components(separatedBy: "name=\"csrf\"").count - 1, "every form posts its CSRF token")
        for id in ["pause-client", "pause-reason", "override-client", "override-strategy", "override-until", "override-reason"] {
            #expect(page.contains("for=\"\(id)\""), "input \(id) has a label")
        }
    }

    @Test func figuresReadAsMoneyAndPercent() {
        #expect(Format.money(12_345_678.9) == "$12,345,679")
        #expect(Format.money(-12.5) == "−$12.50")
        #expect(Format.money(.nan) == "–")
        #expect(Format.percent(0.0523, signed: true) == "+5.2%")
        #expect(Format.percent(-0.1) == "−10.0%")
        #expect(Format.percent(-0.003, digits: 0) == "0%", "what rounds to zero has no sign")
        #expect(Format.age(seconds: 7_200) == "2 h")
    }
}
