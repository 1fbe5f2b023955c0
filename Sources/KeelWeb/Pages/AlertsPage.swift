import Foundation
import Plot

extension AlertsPage {
    /// Alerts (open first) and the webhook deliveries that carried them.
    public struct Model: Sendable {
        public struct Alert: Sendable, Hashable {
            public var alertID: Int
            public var kind: String
            public var severity: String
            public var message: String
            public var clientID: Int?
            public var createdAt: Date
            public var resolvedAt: Date?

            public init(alertID: Int, kind: String, severity: String, message: String, clientID: Int?, createdAt: Date, resolvedAt: Date?) {
                self.alertID = alertID
                self.kind = kind
                self.severity = severity
                self.message = message
                self.clientID = clientID
                self.createdAt = createdAt
                self.resolvedAt = resolvedAt
            }
        }

        public struct Delivery: Sendable, Hashable {
            public var alertID: Int
            public var url: String
            public var status: String
            public var attempts: Int
            public var lastStatusCode: Int?
            public var lastError: String?

            public init(alertID: Int, url: String, status: String, attempts: Int, lastStatusCode: Int?, lastError: String?) {
                self.alertID = alertID
                self.url = url
                self.status = status
                self.attempts = attempts
                self.lastStatusCode = lastStatusCode
                self.lastError = lastError
            }
        }

        public var viewer: Viewer
        public var alerts: [Alert]
        public var deliveries: [Delivery]

        public init(viewer: Viewer, alerts: [Alert], deliveries: [Delivery]) {
            self.viewer = viewer
            self.alerts = alerts
            self.deliveries = deliveries
        }
    }
}

public enum AlertsPage {
    public static func render(_ model: Model) -> String {
        let open = model.alerts.filter { $0.resolvedAt == nil }
        let resolved = model.alerts.filter { $0.resolvedAt != nil }
        return PageLayout.document(title: "Alerts", section: .alerts, viewer: model.viewer, content: .group(
            .h1("Alerts"),
            .h2(.text("Open (\(open.count))")),
            table(open),
            .h2(.style("margin-top:1rem"), .text("Resolved (\(resolved.count))")),
            table(resolved),
            .h2(.style("margin-top:1rem"), "Webhook deliveries"),
            .if(model.deliveries.isEmpty, .p("No webhook is configured, or nothing was sent yet.")),
            .table(
                .tr(.th("Alert"), .th("URL"), .th("Status"), .th("Attempts"), .th("Last answer")),
                .forEach(model.deliveries) { delivery in
                    .tr(.td(.text("#\(delivery.alertID)")), .td(.text(delivery.url)), .td(.text(delivery.status)), .td(.text("\(delivery.attempts)")),
                        .td(.text(delivery.lastStatusCode.map { "HTTP \($0)" } ?? delivery.lastError ?? "–")))
                }
            )
        ))
    }

    static func table(_ alerts: [Model.Alert]) -> Node<HTML.BodyContext> {
        .table(
            .tr(.th("When"), .th("Severity"), .th("Kind"), .th("Client"), .th("Message")),
            .forEach(alerts) { alert in
                .tr(.td(.text(Format.time(alert.createdAt))),
                    .td(.class(alert.severity == "critical" ? "bad" : alert.severity == "warning" ? "warn" : ""), .text(alert.severity)),
                    .td(.text(alert.kind)),
                    .td(.unwrap(alert.clientID, { .a(.href(to: .client($0)), .text("client \($0)")) }, else: .text("–"))),
                    .td(.text(alert.message)))
            }
        )
    }
}
