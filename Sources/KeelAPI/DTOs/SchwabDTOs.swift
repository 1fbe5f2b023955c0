import Foundation
import KeelServices
import KeelStore
import Vapor

struct SchwabAuthorizeResponse: Content {
    var authorizeUrl: String
    var expiresAt: Date
}

struct SchwabStatusResponse: Content {
    var clientId: Int
    var linked: Bool
    var connected: Bool
    var status: String
    var accessExpiresAt: Date?
    var refreshExpiresAt: Date?
    var grantedAt: Date?
    var lastRefreshedAt: Date?
    var lastError: String?
    var accounts: [AccountResponse]
    var alerts: [AlertResponse]

    init(_ status: SchwabLinkStatus) {
        clientId = status.clientID
        linked = status.linked
        connected = status.connected
        self.status = !status.linked ? "not_linked" : status.connected ? "connected" : "disconnected"
        accessExpiresAt = status.accessExpiresAt
        refreshExpiresAt = status.refreshExpiresAt
        grantedAt = status.grantedAt
        lastRefreshedAt = status.lastRefreshedAt
        lastError = status.lastError
        accounts = status.accounts.map(AccountResponse.init)
        alerts = status.alerts.map(AlertResponse.init)
    }
}
