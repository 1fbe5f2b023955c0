import KeelServices
import KeelStore
import Vapor

/// Alerts (Schwab links, reconciliation, goals) and the state of their webhook deliveries.
struct AlertController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("alerts", use: alerts).openAPI("Alerts: a client's own, or any (staff)", query: [.integer("client_id", "only this client's"), .string("user_id", "only this login's"), .string("goal_id", "only this goal's"), .boolean("open", "only unresolved alerts (default: true unless user_id is given)")])
        routes.get("alerts", "deliveries", use: deliveries).openAPI("Webhook deliveries of alerts (staff)", query: [.integer("alert_id", "only this alert's deliveries")])
    }

    /// ?client_id= (a client's own), ?user_id=, ?goal_id=, ?open=false for resolved ones too. Staff may list all.
    func alerts(req: Request) async throws -> [AlertResponse] {
        let principal = try req.principal
        let clientID = try req.query.get(Int?.self, at: "client_id")
        let userID = try req.query.get(String?.self, at: "user_id")
        let goalID = try req.query.get(String?.self, at: "goal_id")
        if let goalID {
            return try await req.keel.goals.alerts(goalID, by: principal).map(AlertResponse.init)
        }
        if let clientID {
            try principal.ensureAccess(toClient: clientID)
        } else if let userID, userID == principal.userID {
            // a user's own alerts
        } else {
            try principal.ensureStaff()
        }
        let open = try req.query.get(Bool?.self, at: "open") ?? (userID == nil)
        return try await req.keel.context.database.read { try await $0.alerts.list(clientID: clientID, userID: userID, openOnly: open) }
            .map(AlertResponse.init)
    }

    func deliveries(req: Request) async throws -> [WebhookDeliveryResponse] {
        try req.principal.ensureStaff()
        let alertID = try req.query.get(Int?.self, at: "alert_id")
        return try await req.keel.context.database.read { try await $0.webhookDeliveries.list(alertID: alertID) }.map(WebhookDeliveryResponse.init)
    }
}
