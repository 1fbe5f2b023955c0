import Foundation
import Plot

extension GoalsPage {
    /// Goals of one trading user picked from a list (never a typed id): progress bars, progress and risk-factor
    /// history charts, cancel, and the form to create one.
    public struct Model: Sendable {
        public struct Person: Sendable, Hashable {
            public var userID: String
            public var label: String
            public var clientID: Int?

            public init(userID: String, label: String, clientID: Int?) {
                self.userID = userID
                self.label = label
                self.clientID = clientID
            }
        }

        public struct Goal: Sendable {
            public var goalID: String
            public var name: String
            public var type: String
            public var target: Double
            public var status: String
            public var progress: Double
            public var factor: Double
            public var strategy: String
            public var reason: String
            public var periodEnd: Date?
            public var progressHistory: [(date: Date, value: Double)]
            public var factorHistory: [(date: Date, value: Double)]
            /// Changes of risk factor or strategy, newest first: when, from → to, and why.
            public var adjustments: [(at: Date, change: String, reason: String)]
            /// The goal's alerts (milestones, at risk), newest first.
            public var alerts: [(at: Date, severity: String, message: String)]

            public init(goalID: String, name: String, type: String, target: Double, status: String, progress: Double, factor: Double, strategy: String,
                        reason: String, periodEnd: Date?, progressHistory: [(date: Date, value: Double)], factorHistory: [(date: Date, value: Double)],
                        adjustments: [(at: Date, change: String, reason: String)] = [], alerts: [(at: Date, severity: String, message: String)] = []) {
                self.adjustments = adjustments
                self.alerts = alerts
                self.goalID = goalID
                self.name = name
                self.type = type
                self.target = target
                self.status = status
                self.progress = progress
                self.factor = factor
                self.strategy = strategy
                self.reason = reason
                self.periodEnd = periodEnd
                self.progressHistory = progressHistory
                self.factorHistory = factorHistory
            }
        }

        /// One line of the book's overview: whose goal, how far, and its state.
        public struct BookGoal: Sendable, Hashable {
            public var person: Person
            public var name: String
            public var type: String
            public var status: String
            public var progress: Double

            public init(person: Person, name: String, type: String, status: String, progress: Double) {
                self.person = person
                self.name = name
                self.type = type
                self.status = status
                self.progress = progress
            }
        }

        public var viewer: Viewer
        public var people: [Person]
        /// The book's goals before a person is picked: failing and at risk first (staff only).
        public var book: [BookGoal] = []
        public var selected: Person?
        public var accounts: [String]
        public var goalTypes: [String]
        public var goals: [Goal]
        public var notice: String?
        public var error: String?

        public init(viewer: Viewer, people: [Person], book: [BookGoal] = [], selected: Person?, accounts: [String], goalTypes: [String], goals: [Goal],
                    notice: String? = nil, error: String? = nil) {
            self.viewer = viewer
            self.people = people
            self.book = book
            self.selected = selected
            self.accounts = accounts
            self.goalTypes = goalTypes
            self.goals = goals
            self.notice = notice
            self.error = error
        }
    }
}

public enum GoalsPage {
    /// The texts an action's outcome code shows (fixed: a link cannot make the page say anything).
    public static let messages: [String: String] = [
        "created": "The goal was created.", "cancelled": "The goal was cancelled.", "name": "The goal needs a name.",
        "goal_type": "Choose a kind of goal.", "target_value": "The target must be a number in range for that kind of goal.",
        "account_hash": "Choose one of the person's accounts.", "period_end": "That kind of goal needs an end date.",
    ]

    public static func render(_ model: Model) -> String {
        PageLayout.document(title: "Goals", section: .goals, viewer: model.viewer, content: .group(
            .h1("Goals"),
            Controls.banners(notice: model.notice, error: model.error),
            .form(
                .method(.get), .action(to: .goals),
                .label(.for("user"), "Whose goals"),
                .select(.attribute(named: "name", value: "user"), .attribute(named: "id", value: "user"),
                        .forEach(model.people) { person in
                            .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(person.userID)),
                                                              .if(person.userID == model.selected?.userID, .attribute(named: "selected", value: "selected")),
                                                              .text(person.label)])
                        }),
                .button(.type(.submit), .style("margin-left:.4rem"), "Show")
            ),
            .if(model.selected == nil && !model.book.isEmpty, book(model.book)),
            .unwrap(model.selected) { person in
                .group(
                    .h2(.style("margin-top:1rem"), .text("Goals of \(person.label)")),
                    .if(model.goals.isEmpty, .p("No goals yet.")),
                    .forEach(model.goals) { goal(person: person, $0, csrf: model.viewer.csrfToken) },
                    create(person: person, model: model)
                )
            }
        ))
    }

    /// The book at a glance: every open goal with a progress bar, those that need attention first.
    static func book(_ goals: [Model.BookGoal]) -> Node<HTML.BodyContext> {
        let failing = goals.filter { $0.status == "failed" }.count, atRisk = goals.filter { $0.status == "at_risk" }.count
        return .section(
            .class("card"), .style("margin-top:1rem"),
            .h2("The book's goals"),
            .p(.text("\(goals.count) goals · \(failing) failing · \(atRisk) at risk. Pick a person for the history, adjustments and alerts.")),
            .table(
                .tr(.th("Person"), .th("Goal"), .th("Kind"), .th("Status"), .th("Progress")),
                .forEach(goals) { goal in
                    .tr(.td(.a(.href(to: .goals, ["user": goal.person.userID]), .text(goal.person.label))), .td(.text(goal.name)), .td(.text(goal.type)),
                        .td(.class(goal.status == "failed" ? "bad" : goal.status == "at_risk" ? "warn" : ""), .text(goal.status)),
                        .td(Controls.progress(goal.progress / 100, label: "\(goal.name) progress")))
                }
            )
        )
    }

    static func goal(person: Model.Person, _ goal: Model.Goal, csrf: String) -> Node<HTML.BodyContext> {
        let progress = LineChart(title: "\(goal.name): progress", series: [.init(name: "progress", points: goal.progressHistory)],
                                 format: { Format.percent($0 / 100, digits: 0) }).node()
        let factor = LineChart(title: "\(goal.name): risk factor", series: [.init(name: "factor", points: goal.factorHistory, colour: "#7a4d00")],
                               format: { String(format: "%.2f", $0) }).node()
        let open = goal.status == "active" || goal.status == "at_risk"
        return .section(
            .class("card"), .style("margin-bottom:1rem"),
            .h2(.text("\(goal.name) · \(goal.type) \(String(format: "%g", goal.target)) · \(goal.status)")),
            Controls.progress(goal.progress / 100, label: "\(goal.name) progress"),
            .p(.text("Risk factor \(String(format: "%.2f", goal.factor)), strategy \(goal.strategy): \(goal.reason)"
                     + (goal.periodEnd.map { " · ends \(Format.day($0))" } ?? ""))),
            .div(.class("grid"), .div(progress), .div(factor)),
            .if(!goal.adjustments.isEmpty, .element(named: "details", nodes: [
                .element(named: "summary", text: "Adjustments (\(goal.adjustments.count))"),
                .table(.tr(.th("When"), .th("Change"), .th("Why")),
                       .forEach(goal.adjustments) { entry in .tr(.td(.text(Format.time(entry.at))), .td(.text(entry.change)), .td(.text(entry.reason))) }),
            ])),
            .if(!goal.alerts.isEmpty, .element(named: "details", nodes: [
                .element(named: "summary", text: "Alerts (\(goal.alerts.count))"),
                .table(.tr(.th("When"), .th("Severity"), .th("Message")),
                       .forEach(goal.alerts) { entry in
                           .tr(.td(.text(Format.time(entry.at))), .td(.class(entry.severity == "critical" ? "bad" : entry.severity == "warning" ? "warn" : ""), .text(entry.severity)),
                               .td(.text(entry.message)))
                       }),
            ])),
            .if(open, .form(.method(.post), .action(to: .cancelGoal(goal.goalID)),
                            .input(.type(.hidden), .name("csrf"), .value(Markup.escape(csrf))), .input(.type(.hidden), .name("user"), .value(Markup.escape(person.userID))),
                            .button(.class("secondary"), .type(.submit), "Cancel this goal")))
        )
    }

    static func create(person: Model.Person, model: Model) -> Node<HTML.BodyContext> {
        .section(
            .class("card"), .h2("New goal"),
            .form(
                .method(.post), .action(to: .goals),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(model.viewer.csrfToken))),
                .input(.type(.hidden), .name("user"), .value(Markup.escape(person.userID))),
                .label(.for("goal-name"), "Name"),
                .input(.type(.text), .name("name"), .id("goal-name"), .required(true), .attribute(named: "maxlength", value: "100")),
                .label(.for("goal-type"), "Kind"),
                .select(.attribute(named: "name", value: "goal_type"), .attribute(named: "id", value: "goal-type"),
                        .forEach(model.goalTypes) { type in .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(type)), .text(type)]) }),
                .label(.for("goal-target"), "Target (percent for returns and drawdown limits, money otherwise)"),
                .input(.type(.number), .name("target_value"), .id("goal-target"), .attribute(named: "step", value: "any"), .required(true)),
                .label(.for("goal-account"), "Account"),
                .select(.attribute(named: "name", value: "account_hash"), .attribute(named: "id", value: "goal-account"),
                        .forEach(model.accounts) { hash in .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(hash)), .text(hash)]) }),
                .p(.button(.type(.submit), "Create goal"))
            )
        )
    }
}
