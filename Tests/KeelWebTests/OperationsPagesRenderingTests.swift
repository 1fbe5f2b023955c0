import Foundation
import KeelWeb
import SnapshotTesting
import Testing

/// The goals, jobs, alerts and notice pages: recorded HTML, and what must hold whatever the data.
@Suite("Workspace goals, operations and notice pages")
struct OperationsPagesRenderingTests {
    static let day = PageRenderingTests.day
    static let viewer = PageRenderingTests.viewer
    static let ada = GoalsPage.Model.Person(userID: "client-1", label: "Ada Lovelace", clientID: 1)
    static let alan = GoalsPage.Model.Person(userID: "client-2", label: "Alan Turing", clientID: 2)

    static func book() -> GoalsPage.Model {
        GoalsPage.Model(viewer: viewer, people: [ada, alan], book: [
            .init(person: alan, name: "House deposit", type: "portfolio_value", status: "failed", progress: 41),
            .init(person: ada, name: "Retire at 60", type: "annual_return", status: "at_risk", progress: 62.5),
            .init(person: ada, name: "Limit losses", type: "max_drawdown", status: "active", progress: 100),
        ], selected: nil, accounts: [], goalTypes: ["annual_return", "max_drawdown"], goals: [])
    }

    static func person() -> GoalsPage.Model {
        let history = (0..<4).map { (day.addingTimeInterval(Double($0) * 86_400), 50 + Double($0) * 4) }
        return GoalsPage.Model(viewer: viewer, people: [ada, alan], selected: ada, accounts: ["acct-1"], goalTypes: ["annual_return", "max_drawdown"], goals: [
            .init(goalID: "g1", name: "Retire at 60", type: "annual_return", target: 7, status: "at_risk", progress: 62.5, factor: 1.25, strategy: "momentum",
                  reason: "behind plan: risk raised within the client's limits", periodEnd: day.addingTimeInterval(365 * 86_400),
                  progressHistory: history, factorHistory: history.map { ($0.0, 1 + $0.1 / 200) },
                  adjustments: [(day, "factor 1.00 → 1.25, strategy balanced → momentum (progress)", "behind plan")],
                  alerts: [(day, "warning", "Retire at 60 is at risk")]),
        ], notice: "The goal was created.")
    }

    @Test func goalsPageSnapshots() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: GoalsPage.render(Self.book()), as: .lines, named: "goals-book")
            assertSnapshot(of: GoalsPage.render(Self.person()), as: .lines, named: "goals-person")
        }
    }

    @Test func theBookOverviewShowsEveryGoalWithAProgressBarAndLinksToItsPerson() {
        let html = GoalsPage.render(Self.book())
        #expect(html.contains("The book's goals"))
        #expect(html.contains("3 goals · 1 failing · 1 at risk"))
        #expect(html.components(separatedBy: "<progress").count - 1 == 3)
        #expect(html.contains("href=\"/app/goals?user=client-2\""))
        // In the order given (the query puts failing first): the failed goal's row comes before the at-risk one.
        let failed = html.range(of: "House deposit")!.lowerBound, atRisk = html.range(of: "Retire at 60")!.lowerBound
        #expect(failed < atRisk)
        // Picking a person replaces the overview with their goals.
        #expect(!GoalsPage.render(Self.person()).contains("The book's goals"))
    }

    static func jobs() -> JobsPage.Model {
        JobsPage.Model(viewer: viewer, jobs: [
            .init(jobID: "j1", kind: "ml.train", status: "running", progress: 0.4, message: "window 4 of 10", attempts: 1, maxAttempts: 3,
                  createdAt: day, finishedAt: nil, error: nil),
            .init(jobID: "j2", kind: "backtest.run", status: "failed", progress: 1, message: nil, attempts: 3, maxAttempts: 3,
                  createdAt: day, finishedAt: day.addingTimeInterval(60), error: "no bars for ZZZ"),
        ], duties: [
            .init(jobID: "d1", kind: "duty.reconcile", status: "succeeded", progress: 1, message: nil, attempts: 1, maxAttempts: 1,
                  createdAt: day, finishedAt: day.addingTimeInterval(2), error: nil),
        ], kind: nil)
    }

    static func alerts() -> AlertsPage.Model {
        AlertsPage.Model(viewer: viewer, alerts: [
            .init(alertID: 1, kind: "schwab_link", severity: "critical", message: "Schwab refresh token expires in 2 days", clientID: 1, createdAt: day, resolvedAt: nil),
            .init(alertID: 2, kind: "goal", severity: "warning", message: "Retire at 60 is at risk", clientID: nil, createdAt: day,
                  resolvedAt: day.addingTimeInterval(3_600)),
        ], deliveries: [
            .init(alertID: 1, url: "https://hooks.example/keel", status: "failed", attempts: 5, lastStatusCode: 503, lastError: "HTTP 503"),
        ])
    }

    @Test func operationsPagesSnapshots() {
        withSnapshotTesting(record: .missing) {
            assertSnapshot(of: JobsPage.render(Self.jobs()), as: .lines, named: "jobs")
            assertSnapshot(of: AlertsPage.render(Self.alerts()), as: .lines, named: "alerts")
            assertSnapshot(of: NoticePage.render(viewer: Viewer(userID: "client-1", role: "client", csrfToken: "t"), title: "Approvals",
                                                 message: "The approval queue is for advisors."), as: .lines, named: "notice")
        }
    }

    @Test func anAlertLinksToItsClientAndAFailedJobShowsItsError() {
        let alerts = AlertsPage.render(Self.alerts())
        #expect(alerts.contains("href=\"/app/clients/1\""))
        #expect(alerts.contains("HTTP 503"))
        #expect(JobsPage.render(Self.jobs()).contains("no bars for ZZZ"))
    }

    @Test func aClientLoginsNoticeOffersOnlyItsOwnSections() {
        let notice = NoticePage.render(viewer: Viewer(userID: "client-1", role: "client", csrfToken: "t"), title: "Approvals", message: "The approval queue is for advisors.")
        #expect(notice.contains("The approval queue is for advisors."))
        #expect(notice.contains("href=\"/app/goals\""))
        #expect(!notice.contains("href=\"/app/approvals\""))
    }
}
