import FluentKit
import Foundation
import SQLKit

/// Failed logins counted per key (`user:<id>`, `address:<ip>`), and until when a key is locked out.
public struct LoginThrottleRecord: Sendable, Hashable {
    public var key: String
    public var failures: Int
    public var lastFailureAt: Date
    public var lockedUntil: Date?

    public init(key: String, failures: Int, lastFailureAt: Date, lockedUntil: Date?) {
        self.key = key
        self.failures = failures
        self.lastFailureAt = lastFailureAt
        self.lockedUntil = lockedUntil
    }
}

public struct LoginThrottleRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func find(_ key: String) async throws -> LoginThrottleRecord? {
        guard let row = try await sql.raw("SELECT * FROM login_throttles WHERE throttle_key = \(bind: key)").first() else { return nil }
        return LoginThrottleRecord(key: key, failures: try row.decode(column: "failures", as: Int.self),
                                   lastFailureAt: try row.decode(column: "last_failure_at", as: Date.self),
                                   lockedUntil: try row.decode(column: "locked_until", as: Date?.self))
    }

    /// Reads the key's row locked until the transaction ends (PostgreSQL), so concurrent failures all count.
    public func lock(_ key: String, in session: Session) async throws -> LoginThrottleRecord? {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT throttle_key FROM login_throttles WHERE throttle_key = \(bind: key) FOR UPDATE").all()
        }
        return try await find(key)
    }

    public func save(_ record: LoginThrottleRecord, exists: Bool) async throws {
        if exists {
            try await sql.update("login_throttles").set("failures", to: record.failures).set("last_failure_at", to: record.lastFailureAt)
                .set("locked_until", to: record.lockedUntil).where("throttle_key", .equal, record.key).run()
        } else {
            try await sql.insert(into: "login_throttles").columns("throttle_key", "failures", "last_failure_at", "locked_until")
                .values(SQLBind(record.key), SQLBind(record.failures), SQLBind(record.lastFailureAt), SQLBind(record.lockedUntil)).run()
        }
    }

    public func clear(_ key: String) async throws {
        try await sql.delete(from: "login_throttles").where("throttle_key", .equal, key).run()
    }
}

extension Session {
    public var loginThrottles: LoginThrottleRepository { LoginThrottleRepository(database: database) }
}
