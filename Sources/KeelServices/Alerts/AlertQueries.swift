import Foundation
import KeelStore

/// Reads of alerts (Schwab links, reconciliation, goals) and of their webhook deliveries, under the access rules:
/// a client's own alerts, a login's own, a goal's through its goal; everything else and the deliveries are staff's.
public struct AlertQueries: Sendable {
    let context: ServiceContext
    let goals: GoalService

    public init(context: ServiceContext, goals: GoalService) {
        self.context = context
        self.goals = goals
    }

    /// `openOnly` nil: unresolved only, unless a login's own alerts are asked for.
    public func list(clientID: Int?, userID: String?, goalID: String?, openOnly: Bool?, by principal: Principal) async throws -> [AlertRecord] {
        if let goalID { return try await goals.alerts(goalID, by: principal) }
        if let clientID {
            try principal.ensureAccess(toClient: clientID)
        } else if userID == nil || userID != principal.userID {
            try principal.ensureStaff()
        }
        let open = openOnly ?? (userID == nil)
        return try await context.database.read { try await $0.alerts.list(clientID: clientID, userID: userID, openOnly: open) }
    }

    public func deliveries(alertID: Int?, by principal: Principal) async throws -> [WebhookDeliveryRecord] {
        try principal.ensureStaff()
        return try await context.database.read { try await $0.webhookDeliveries.list(alertID: alertID) }
    }
}
