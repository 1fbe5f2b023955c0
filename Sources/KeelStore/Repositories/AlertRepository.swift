import FluentKit
import Foundation
import SQLKit

/// An alert; Encodable as the JSON a webhook receives (snake_case keys).
public struct AlertRecord: Sendable, Hashable, Encodable {
    public var alertID: Int
    public var kind: String
    public var severity: String
    public var clientID: Int?
    public var accountHash: String?
    public var userID: String?
    public var goalID: String?
    public var message: String
    public var createdAt: Date
    public var resolvedAt: Date?

    enum CodingKeys: String, CodingKey {
        case alertID = "alert_id", kind, severity, clientID = "client_id", accountHash = "account_hash", userID = "user_id"
        case goalID = "goal_id", message, createdAt = "created_at", resolvedAt = "resolved_at"
    }
}

/// What to raise; `once` alerts (goal milestones) are raised at most once per goal, the others once while open.
public struct NewAlert: Sendable, Hashable {
    public var kind: String
    public var severity: String
    public var clientID: Int?
    public var accountHash: String?
    public var userID: String?
    public var goalID: String?
    public var message: String
    public var once: Bool

    public init(kind: String, severity: String, clientID: Int? = nil, accountHash: String? = nil, userID: String? = nil, goalID: String? = nil,
                message: String, once: Bool = false) {
        self.kind = kind
        self.severity = severity
        self.clientID = clientID
        self.accountHash = accountHash
        self.userID = userID
        self.goalID = goalID
        self.message = message
        self.once = once
    }
}

/// Alerts for operators and users, and their webhook deliveries.
public struct AlertRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Inserts the alert unless the same one is already there; returns the new row, or nil when it was a repeat.
    @discardableResult
    public func raise(_ alert: NewAlert, at now: Date) async throws -> AlertRecord? {
        var existing = sql.select().column("alert_id").from("alerts").where("kind", .equal, alert.kind)
        if !alert.once { existing = existing.where("resolved_at", .is, SQLLiteral.null) }
        existing = alert.clientID.map { existing.where("client_id", .equal, $0) } ?? existing.where("client_id", .is, SQLLiteral.null)
        if let goalID = alert.goalID { existing = existing.where("goal_id", .equal, goalID) }
        if let accountHash = alert.accountHash { existing = existing.where("account_hash", .equal, accountHash) }
        guard try await existing.first() == nil else { return nil }
        let row = try await sql.insert(into: "alerts").columns("kind", "severity", "client_id", "account_hash", "user_id", "goal_id", "message", "created_at")
            .values(SQLBind(alert.kind), SQLBind(alert.severity), SQLBind(alert.clientID), SQLBind(alert.accountHash), SQLBind(alert.userID),
                    SQLBind(alert.goalID), SQLBind(alert.message), SQLBind(now))
            .returning("alert_id").first()
        guard let id = try row?.decode(column: "alert_id", as: Int.self) else { return nil }
        return AlertRecord(alertID: id, kind: alert.kind, severity: alert.severity, clientID: alert.clientID, accountHash: alert.accountHash,
                           userID: alert.userID, goalID: alert.goalID, message: alert.message, createdAt: now)
    }

    public func resolve(kinds: [String], clientID: Int?, goalID: String? = nil, accountHash: String? = nil, at now: Date) async throws {
        var query = sql.update("alerts").set("resolved_at", to: now).where("kind", .in, kinds).where("resolved_at", .is, SQLLiteral.null)
        if let accountHash { query = query.where("account_hash", .equal, accountHash) }
        if let clientID { query = query.where("client_id", .equal, clientID) }
        if let goalID { query = query.where("goal_id", .equal, goalID) }
        try await query.run()
    }

    public func list(clientID: Int?, userID: String? = nil, goalID: String? = nil, openOnly: Bool) async throws -> [AlertRecord] {
        var query = sql.select().column("*").from("alerts")
        if let clientID { query = query.where("client_id", .equal, clientID) }
        if let userID { query = query.where("user_id", .equal, userID) }
        if let goalID { query = query.where("goal_id", .equal, goalID) }
        if openOnly { query = query.where("resolved_at", .is, SQLLiteral.null) }
        return try await query.orderBy("alert_id", .descending).limit(500).all().map { row in
            AlertRecord(alertID: try row.decode(column: "alert_id", as: Int.self), kind: try row.decode(column: "kind", as: String.self),
                        severity: try row.decode(column: "severity", as: String.self), clientID: try row.decode(column: "client_id", as: Int?.self),
                        accountHash: try row.decode(column: "account_hash", as: String?.self), userID: try row.decode(column: "user_id", as: String?.self),
                        goalID: try row.decode(column: "goal_id", as: String?.self), message: try row.decode(column: "message", as: String.self),
                        createdAt: try row.decode(column: "created_at", as: Date.self), resolvedAt: try row.decode(column: "resolved_at", as: Date?.self))
        }
    }
}

public struct WebhookDeliveryRecord: Sendable, Hashable {
    public var deliveryID: Int
    public var alertID: Int
    public var url: String
    public var payload: String
    /// pending, delivered or failed (gave up).
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastStatusCode: Int?
    public var lastError: String?
    public var deliveredAt: Date?
}

/// The outbox of alert webhooks: a row per alert and URL, written with the alert, sent and retried by the dispatcher.
public struct WebhookDeliveryRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func enqueue(alertID: Int, url: String, payload: String, at now: Date) async throws {
        try await sql.insert(into: "webhook_deliveries")
            .columns("alert_id", "url", "payload", "status", "attempts", "next_attempt_at", "created_at")
            .values(SQLBind(alertID), SQLBind(url), SQLBind(payload), SQLBind("pending"), SQLBind(0), SQLBind(now), SQLBind(now)).run()
    }

    public func due(at now: Date, limit: Int = 50) async throws -> [WebhookDeliveryRecord] {
        try await sql.select().column("*").from("webhook_deliveries").where("status", .equal, "pending")
            .where("next_attempt_at", .lessThanOrEqual, now).orderBy("delivery_id").limit(limit).all().map(Self.record)
    }

    public func list(alertID: Int? = nil) async throws -> [WebhookDeliveryRecord] {
        var query = sql.select().column("*").from("webhook_deliveries")
        if let alertID { query = query.where("alert_id", .equal, alertID) }
        return try await query.orderBy("delivery_id").limit(1000).all().map(Self.record)
    }

    public func recordAttempt(_ deliveryID: Int, status: String, attempts: Int, nextAttemptAt: Date, statusCode: Int?, error: String?,
                              deliveredAt: Date?) async throws {
        try await sql.update("webhook_deliveries").set("status", to: status).set("attempts", to: attempts).set("next_attempt_at", to: nextAttemptAt)
            .set("last_status_code", to: statusCode).set("last_error", to: error).set("delivered_at", to: deliveredAt)
            .where("delivery_id", .equal, deliveryID).run()
    }

    static func record(_ row: any SQLRow) throws -> WebhookDeliveryRecord {
        WebhookDeliveryRecord(deliveryID: try row.decode(column: "delivery_id", as: Int.self), alertID: try row.decode(column: "alert_id", as: Int.self),
                              url: try row.decode(column: "url", as: String.self), payload: try row.decode(column: "payload", as: String.self),
                              status: try row.decode(column: "status", as: String.self), attempts: try row.decode(column: "attempts", as: Int.self),
                              nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date.self),
                              lastStatusCode: try row.decode(column: "last_status_code", as: Int?.self),
                              lastError: try row.decode(column: "last_error", as: String?.self),
                              deliveredAt: try row.decode(column: "delivered_at", as: Date?.self))
    }
}

extension Session {
    public var alerts: AlertRepository { AlertRepository(database: database) }
    public var webhookDeliveries: WebhookDeliveryRepository { WebhookDeliveryRepository(database: database) }
}
