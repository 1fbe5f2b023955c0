import Foundation
import KeelStore

/// Raises an alert and, when a webhook is configured, queues its delivery in the same transaction, so an
/// alert is never stored without its delivery or delivered without being stored.
enum AlertOutbox {
    @discardableResult
    static func raise(_ alert: NewAlert, session: Session, settings: ServiceSettings, at now: Date) async throws -> AlertRecord? {
        guard let record = try await session.alerts.raise(alert, at: now) else { return nil }
        if let url = settings.alertWebhookURL {
            try await session.webhookDeliveries.enqueue(alertID: record.alertID, url: url, payload: try payload(record), at: now)
        }
        return record
    }

    struct Payload: Encodable {
        var alertId: Int
        var kind: String
        var severity: String
        var message: String
        var clientId: Int?
        var accountHash: String?
        var userId: String?
        var goalId: String?
        var createdAt: Date
    }

    static func payload(_ alert: AlertRecord) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let body = Payload(alertId: alert.alertID, kind: alert.kind, severity: alert.severity, message: alert.message, clientId: alert.clientID,
                           accountHash: alert.accountHash, userId: alert.userID, goalId: alert.goalID, createdAt: alert.createdAt)
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }
}
