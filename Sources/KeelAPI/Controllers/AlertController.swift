import KeelServices
import KeelStore
import Vapor

/// Alerts (Schwab links, reconciliation, goals) and the state of their webhook deliveries.
struct AlertController: RouteCollection {
    let alertQueries: AlertQueries
    func boot(routes: any RoutesBuilder) throws {
        routes.get("alerts", use: alerts).openAPI("Alerts: a client's own, or any (staff)", query: [.integer("client_id", "only this client's"), .string("user_id", "only this login's"), .string("goal_id", "only this goal's"), .boolean("open", "only unresolved alerts (default: true unless user_id is given)")])
        routes.get("alerts", "deliveries", use: deliveries).openAPI("Webhook deliveries of alerts (staff)", query: [.integer("alert_id", "only this alert's deliveries")])
    }

    /// ?client_id= (a client's own), ?user_id=, ?goal_id=, ?open=false for resolved ones too. Staff may list all.
    func alerts(req: Request) async throws -> [AlertResponse] {
        try await alertQueries.list(clientID: req.query.get(Int?.self, at: "client_id"), userID: req.query.get(String?.self, at: "user_id"),
                                    goalID: req.query.get(String?.self, at: "goal_id"), openOnly: req.query.get(Bool?.self, at: "open"), by: req.principal)
            .map(AlertResponse.init)
    }

    func deliveries(req: Request) async throws -> [WebhookDeliveryResponse] {
        try await alertQueries.deliveries(alertID: req.query.get(Int?.self, at: "alert_id"), by: req.principal).map(WebhookDeliveryResponse.init)
    }
}
