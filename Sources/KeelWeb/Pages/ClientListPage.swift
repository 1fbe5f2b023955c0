import Foundation
import Plot

extension ClientListPage {
    /// The book's clients: search by name or email, a page at a time, and the onboarding form (what was typed is
    /// kept; each error shows beside its field).
    public struct Model: Sendable {
        public struct Row: Sendable, Hashable {
            public var clientID: Int
            public var name: String
            public var email: String
            public var riskTolerance: String
            public var status: String
            public var accounts: Int
            public var value: Double

            public init(clientID: Int, name: String, email: String, riskTolerance: String, status: String, accounts: Int, value: Double) {
                self.clientID = clientID
                self.name = name
                self.email = email
                self.riskTolerance = riskTolerance
                self.status = status
                self.accounts = accounts
                self.value = value
            }
        }

        /// The onboarding form as typed, with the error of the field at fault.
        public struct Onboarding: Sendable, Hashable {
            public var firstName = "", lastName = "", email = "", phone = "", riskTolerance = "moderate"
            public var errors: [String: String] = [:]
            public var message: String?

            public init(firstName: String = "", lastName: String = "", email: String = "", phone: String = "", riskTolerance: String = "moderate",
                        errors: [String: String] = [:], message: String? = nil) {
                self.firstName = firstName
                self.lastName = lastName
                self.email = email
                self.phone = phone
                self.riskTolerance = riskTolerance
                self.errors = errors
                self.message = message
            }
        }

        public var viewer: Viewer
        public var query: String
        public var page: Int
        public var pageSize: Int
        public var total: Int
        public var rows: [Row]
        public var onboarding: Onboarding
        public var notice: String?

        public init(viewer: Viewer, query: String, page: Int, pageSize: Int, total: Int, rows: [Row], onboarding: Onboarding = Onboarding(), notice: String? = nil) {
            self.viewer = viewer
            self.query = query
            self.page = page
            self.pageSize = pageSize
            self.total = total
            self.rows = rows
            self.onboarding = onboarding
            self.notice = notice
        }
    }
}

public enum ClientListPage {
    public static let riskTolerances = ["conservative", "moderate", "aggressive"]

    public static func render(_ model: Model) -> String {
        let pages = max(1, (model.total + model.pageSize - 1) / model.pageSize)
        return PageLayout.document(title: "Clients", section: .clients, viewer: model.viewer, content: .group(
            .h1("Clients"),
            .unwrap(model.notice) { .p(.class("notice good"), .attribute(named: "role", value: "status"), .text($0)) },
            .form(
                .method(.get), .action(to: .clients), .attribute(named: "role", value: "search"),
                .label(.for("q"), "Search by name or email"),
                .input(.type(.search), .name("q"), .id("q"), .value(Markup.escape(model.query))),
                .button(.type(.submit), .style("margin-left:.4rem"), "Search")
            ),
            .p(.class("label"), .text("\(model.total) client\(model.total == 1 ? "" : "s"), page \(model.page) of \(pages)")),
            .table(
                .tr(.th("Client"), .th("Email"), .th("Risk"), .th("Accounts"), .th("Value"), .th("Status")),
                .forEach(model.rows) { row in
                    .tr(.td(.a(.href(to: .client(row.clientID)), .text(row.name))), .td(.text(row.email)), .td(.text(row.riskTolerance)),
                        .td(.text("\(row.accounts)")), .td(.text(Format.money(row.value))), .td(.text(row.status)))
                }
            ),
            .nav(
                .attribute(named: "aria-label", value: "Pages"), .style("margin:.6rem 0"),
                .if(model.page > 1, .a(.href(to: .clients, ["q": model.query, "page": String(model.page - 1)]), "← Previous")),
                .if(model.page > 1 && model.page < pages, .text(" · ")),
                .if(model.page < pages, .a(.href(to: .clients, ["q": model.query, "page": String(model.page + 1)]), "Next →"))
            ),
            onboarding(model.onboarding, csrf: model.viewer.csrfToken)
        ))
    }

    static func onboarding(_ form: Model.Onboarding, csrf: String) -> Node<HTML.BodyContext> {
        func field(_ name: String, _ label: String, _ value: String, type: HTMLInputType = .text, required: Bool = false) -> Node<HTML.FormContext> {
            let error = form.errors[name]
            return .group(
                .label(.for(Markup.escape(name)), .text(label)),
                .input(.type(type), .name(Markup.escape(name)), .id(Markup.escape(name)), .value(Markup.escape(value)), .required(required),
                       .attribute(named: "aria-invalid", value: error == nil ? "false" : "true"),
                       .attribute(named: "aria-describedby", value: Markup.escape("\(name)-error"))),
                .p(.class("error"), .id(Markup.escape("\(name)-error")), .text(error ?? ""))
            )
        }
        return .section(
            .class("card"), .id("onboard"), .style("margin-top:1rem"),
            .h2("Onboard a client"),
            .unwrap(form.message) { .p(.class("error"), .attribute(named: "role", value: "alert"), .text($0)) },
            .form(
                .method(.post), .action(to: .clients),
                .input(.type(.hidden), .name("csrf"), .value(Markup.escape(csrf))),
                field("first_name", "First name", form.firstName, required: true),
                field("last_name", "Last name", form.lastName, required: true),
                field("email", "Email", form.email, type: .email, required: true),
                field("phone", "Phone (optional)", form.phone, type: .tel),
                .label(.for("risk_tolerance"), "Risk tolerance"),
                .select(.attribute(named: "name", value: "risk_tolerance"), .attribute(named: "id", value: "risk_tolerance"),
                        .forEach(riskTolerances) { option in
                            // A full <option>…</option> (Plot's is self-closed with a label attribute).
                            .element(named: "option", nodes: [.attribute(named: "value", value: Markup.escape(option)),
                                                              .if(option == form.riskTolerance, .attribute(named: "selected", value: "selected")),
                                                              .text(option)])
                        }),
                .p(.class("error"), .text(form.errors["risk_tolerance"] ?? "")),
                .p(.button(.type(.submit), "Create client"))
            )
        )
    }
}
