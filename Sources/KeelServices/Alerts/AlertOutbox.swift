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

    static func payload(_ alert: AlertRecord) throws -> String {
        try StoredJSON.encode(alert)
    }
}
