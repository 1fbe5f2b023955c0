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

    /// The key's row, created (with no failures) when absent, and locked until the transaction ends
    /// (PostgreSQL): concurrent failures of one key all count, and the first ones cannot collide on the insert.
    public func lock(_ key: String, at now: Date, in session: Session) async throws -> LoginThrottleRecord {
        try await sql.raw("""
            INSERT INTO login_throttles (throttle_key, failures, last_failure_at) VALUES (\(bind: key), 0, \(bind: now))
            ON CONFLICT (throttle_key) DO NOTHING
            """).run()
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT throttle_key FROM login_throttles WHERE throttle_key = \(bind: key) FOR UPDATE").all()
        }
        guard let record = try await find(key) else { throw StoreError.notFound("login throttle \(key)") }
        return record
    }

    public func save(_ record: LoginThrottleRecord) async throws {
        try await sql.update("login_throttles").set("failures", to: record.failures).set("last_failure_at", to: record.lastFailureAt)
            .set("locked_until", to: record.lockedUntil).where("throttle_key", .equal, record.key).run()
    }

    public func clear(_ key: String) async throws {
        try await sql.delete(from: "login_throttles").where("throttle_key", .equal, key).run()
    }
}

extension Session {
    public var loginThrottles: LoginThrottleRepository { LoginThrottleRepository(database: database) }
}
