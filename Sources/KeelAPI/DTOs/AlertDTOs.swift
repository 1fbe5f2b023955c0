import Foundation
import KeelStore
import Vapor

struct AlertResponse: Content {
    var alertId: Int
    var kind: String
    var severity: String
    var clientId: Int?
    var accountHash: String?
    var userId: String?
    var goalId: String?
    var message: String
    var createdAt: Date
    var resolvedAt: Date?

    init(_ alert: AlertRecord) {
        alertId = alert.alertID
        kind = alert.kind
        severity = alert.severity
        clientId = alert.clientID
        accountHash = alert.accountHash
        userId = alert.userID
        goalId = alert.goalID
        message = alert.message
        createdAt = alert.createdAt
        resolvedAt = alert.resolvedAt
    }
}

struct WebhookDeliveryResponse: Content {
    var deliveryId: Int
    var alertId: Int
    var url: String
    var status: String
    var attempts: Int
    var nextAttemptAt: Date
    var lastStatusCode: Int?
    var lastError: String?
    var deliveredAt: Date?

    init(_ delivery: WebhookDeliveryRecord) {
        deliveryId = delivery.deliveryID
        alertId = delivery.alertID
        url = delivery.url
        status = delivery.status
        attempts = delivery.attempts
        nextAttemptAt = delivery.nextAttemptAt
        lastStatusCode = delivery.lastStatusCode
        lastError = delivery.lastError
        deliveredAt = delivery.deliveredAt
    }
}
