import FluentKit
import SQLKit
import Foundation

public enum SystemStateKey: String, Sendable, CaseIterable {
    /// "engaged" stops every order everywhere until an operator releases it.
    case killSwitch = "kill_switch"
    /// "paused" stops automated and manual execution but allows dry runs.
    case tradingPaused = "trading_paused"

    public var defaultValue: String {
        switch self {
        case .killSwitch: "released"
        case .tradingPaused: "running"
        }
    }
}

public struct AuditEntry: Sendable, Hashable {
    public var at: Date
    public var actor: String
    public var action: String
    public var entityType: String
    public var entityID: String
    public var clientID: Int?
    public var details: String

    public init(at: Date, actor: String, action: String, entityType: String, entityID: String, clientID: Int?, details: String) {
        self.at = at
        self.actor = actor
        self.action = action
        self.entityType = entityType
        self.entityID = entityID
        self.clientID = clientID
        self.details = details
    }
}

public struct BrokerCallRecord: Sendable, Hashable {
    public var at: Date
    public var broker: String
    public var accountHash: String
    public var operation: String
    public var clientOrderKey: String?
    public var request: String
    public var response: String
    /// ok, rejected, error or unknown.
    public var outcome: String
    public var durationMilliseconds: Int

    public init(at: Date, broker: String, accountHash: String, operation: String, clientOrderKey: String?, request: String,
                response: String, outcome: String, durationMilliseconds: Int) {
        self.at = at
        self.broker = broker
        self.accountHash = accountHash
        self.operation = operation
        self.clientOrderKey = clientOrderKey
        self.request = request
        self.response = response
        self.outcome = outcome
        self.durationMilliseconds = durationMilliseconds
    }
}

/// Audit log, system switches and the broker-call record.
public struct OperationsRepository: Sendable {
    let database: any Database

    public func append(_ entry: AuditEntry) async throws {
        try await append([entry])
    }

    /// Appends audit entries with one multi-row INSERT (the id comes from the column's default: no extra round trip
    /// for it, as a model create would make on PostgreSQL).
    public func append(_ entries: [AuditEntry]) async throws {
        try await (database as! any SQLDatabase).insertRows(
            into: "audit_log", columns: ["at", "actor", "action", "entity_type", "entity_id", "client_id", "details"], entries) { entry in
            [SQLBind(entry.at), SQLBind(entry.actor), SQLBind(entry.action), SQLBind(entry.entityType), SQLBind(entry.entityID),
             SQLBind(entry.clientID), SQLBind(entry.details)]
        }
    }

    public func audit(entityType: String? = nil, entityID: String? = nil, clientID: Int? = nil, limit: Int = 200) async throws -> [AuditEntry] {
        var query = AuditLogModel.query(on: database)
        if let entityType { query = query.filter(\.$entityType == entityType) }
        if let entityID { query = query.filter(\.$entityID == entityID) }
        if let clientID { query = query.filter(\.$clientID == clientID) }
        return try await query.sort(\.$id, .descending).limit(limit).all().map {
            AuditEntry(at: $0.at, actor: $0.actor, action: $0.action, entityType: $0.entityType, entityID: $0.entityID,
                       clientID: $0.clientID, details: $0.details)
        }
    }

    /// The kill switch and the global pause in one query (read before every order and every account's step).
    public func tradingStops() async throws -> (killSwitch: Bool, paused: Bool) {
        let rows = try await (database as! any SQLDatabase).raw("""
            SELECT key, value FROM system_state WHERE key IN (\(bind: SystemStateKey.killSwitch.rawValue), \(bind: SystemStateKey.tradingPaused.rawValue))
            """).all()
        var values: [String: String] = [:]
        for row in rows { values[try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String.self) }
        return ((values[SystemStateKey.killSwitch.rawValue] ?? SystemStateKey.killSwitch.defaultValue) == "engaged",
                (values[SystemStateKey.tradingPaused.rawValue] ?? SystemStateKey.tradingPaused.defaultValue) == "paused")
    }

    public func state(_ key: SystemStateKey) async throws -> String {
        try await SystemStateModel.find(key.rawValue, on: database)?.value ?? key.defaultValue
    }

    public func setState(_ key: SystemStateKey, to value: String, by actor: String, at now: Date) async throws {
        let model = try await SystemStateModel.find(key.rawValue, on: database) ?? SystemStateModel()
        model.id = key.rawValue
        model.value = value
        model.updatedBy = actor
        model.updatedAt = now
        try await model.save(on: database)
    }

    /// One INSERT, the id from the column's default (a model create costs a second round trip for it on PostgreSQL).
    public func record(_ call: BrokerCallRecord) async throws {
        try await record([call])
    }

    /// Records many broker calls with one multi-row INSERT per 200.
    public func record(_ calls: [BrokerCallRecord]) async throws {
        try await (database as! any SQLDatabase).insertRows(
            into: "broker_calls", columns: ["at", "broker", "account_hash", "operation", "client_order_key", "request", "response", "outcome", "duration_ms"],
            calls) { call in
            [SQLBind(call.at), SQLBind(call.broker), SQLBind(call.accountHash), SQLBind(call.operation), SQLBind(call.clientOrderKey),
             SQLBind(call.request), SQLBind(call.response), SQLBind(call.outcome), SQLBind(call.durationMilliseconds)]
        }
    }

    public func brokerCalls(clientOrderKey: String) async throws -> [BrokerCallRecord] {
        try await BrokerCallModel.query(on: database).filter(\.$clientOrderKey == clientOrderKey).sort(\.$id).all().map {
            BrokerCallRecord(at: $0.at, broker: $0.broker, accountHash: $0.accountHash, operation: $0.operation, clientOrderKey: $0.clientOrderKey,
                             request: $0.request, response: $0.response, outcome: $0.outcome, durationMilliseconds: $0.durationMilliseconds)
        }
    }
}

extension Session {
    public var operations: OperationsRepository { OperationsRepository(database: database) }
}
