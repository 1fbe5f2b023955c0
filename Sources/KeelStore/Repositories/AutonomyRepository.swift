import FluentKit
import Foundation
import SQLKit

/// `account_autonomy` (each account's selected strategy and risk state) and `client_controls` (pause and override).
public struct AutonomyRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func state(accountHash: String) async throws -> AccountAutonomyRecord? {
        try await sql.select().column("*").from("account_autonomy").where("account_hash", .equal, accountHash).first().map(Self.state)
    }

    /// The states of many accounts (a chunk's), in one query; accounts without one are absent.
    public func states(accountHashes: [String]) async throws -> [String: AccountAutonomyRecord] {
        guard !accountHashes.isEmpty else { return [:] }
        let rows = try await sql.select().column("*").from("account_autonomy").where("account_hash", .in, accountHashes).all().map(Self.state)
        return Dictionary(rows.map { ($0.accountHash, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func states(clientID: Int) async throws -> [AccountAutonomyRecord] {
        try await sql.select().column("*").from("account_autonomy").where("client_id", .equal, clientID).orderBy("account_hash").all().map(Self.state)
    }

    public func save(_ state: AccountAutonomyRecord) async throws {
        try await save([state])
    }

    /// Saves many accounts' states: one multi-row upsert (see `save`).
    public func save(_ states: [AccountAutonomyRecord]) async throws {
        for start in stride(from: 0, to: states.count, by: 200) {
            var insert = sql.insert(into: "account_autonomy")
                .columns("account_hash", "client_id", "strategy", "portfolio_id", "reason", "regime", "selected_at", "switches", "derisked_at",
                         "derisk_reason", "demoted_strategy", "demoted_until", "updated_at")
            for state in states[start..<min(start + 200, states.count)] {
                insert = insert.values(SQLBind(state.accountHash), SQLBind(state.clientID), SQLBind(state.strategy), SQLBind(state.portfolioID),
                                       SQLBind(state.reason), SQLBind(state.regime), SQLBind(state.selectedAt), SQLBind(state.switches),
                                       SQLBind(state.deriskedAt), SQLBind(state.deriskReason), SQLBind(state.demotedStrategy),
                                       SQLBind(state.demotedUntil), SQLBind(state.updatedAt))
            }
            try await insert.onConflict(with: ["account_hash"]) { conflict in
                conflict.set(excludedValueOf: "strategy").set(excludedValueOf: "portfolio_id").set(excludedValueOf: "reason")
                    .set(excludedValueOf: "regime").set(excludedValueOf: "selected_at").set(excludedValueOf: "switches")
                    .set(excludedValueOf: "derisked_at").set(excludedValueOf: "derisk_reason").set(excludedValueOf: "demoted_strategy")
                    .set(excludedValueOf: "demoted_until").set(excludedValueOf: "updated_at")
            }.run()
        }
    }

    public func control(clientID: Int) async throws -> ClientControlRecord? {
        try await sql.select().column("*").from("client_controls").where("client_id", .equal, clientID).first().map(Self.control)
    }

    /// The control rows of many clients (a chunk's), in one query; clients without one are absent.
    public func controls(clientIDs: [Int]) async throws -> [Int: ClientControlRecord] {
        guard !clientIDs.isEmpty else { return [:] }
        let rows = try await sql.select().column("*").from("client_controls").where("client_id", .in, Array(Set(clientIDs))).all().map(Self.control)
        return Dictionary(rows.map { ($0.clientID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Paused clients, for the status view.
    public func pausedClients() async throws -> [ClientControlRecord] {
        try await sql.select().column("*").from("client_controls").where("paused", .equal, true).orderBy("client_id").all().map(Self.control)
    }

    public func save(_ control: ClientControlRecord) async throws {
        try await sql.insert(into: "client_controls")
            .columns("client_id", "paused", "pause_reason", "paused_by", "paused_at", "override_strategy", "override_until", "override_reason",
                     "override_by", "override_at", "updated_at")
            .values(SQLBind(control.clientID), SQLBind(control.paused), SQLBind(control.pauseReason), SQLBind(control.pausedBy),
                    SQLBind(control.pausedAt), SQLBind(control.overrideStrategy), SQLBind(control.overrideUntil), SQLBind(control.overrideReason),
                    SQLBind(control.overrideBy), SQLBind(control.overrideAt), SQLBind(control.updatedAt))
            .onConflict(with: ["client_id"]) { conflict in
                conflict.set(excludedValueOf: "paused").set(excludedValueOf: "pause_reason").set(excludedValueOf: "paused_by")
                    .set(excludedValueOf: "paused_at").set(excludedValueOf: "override_strategy").set(excludedValueOf: "override_until")
                    .set(excludedValueOf: "override_reason").set(excludedValueOf: "override_by").set(excludedValueOf: "override_at")
                    .set(excludedValueOf: "updated_at")
            }
            .run()
    }

    /// Locks a client's control row (creating it) so pause, override and the cycle's read of them serialise.
    public func lockControl(clientID: Int, at now: Date, in session: Session) async throws -> ClientControlRecord {
        if try await control(clientID: clientID) == nil {
            try await sql.insert(into: "client_controls").columns("client_id", "paused", "updated_at")
                .values(SQLBind(clientID), SQLBind(false), SQLBind(now))
                .ignoringConflicts(with: ["client_id"]).run()
        }
        var query = sql.select().column("*").from("client_controls").where("client_id", .equal, clientID)
        if session.dialect == .postgres { query = query.for(.update) }
        guard let row = try await query.first() else { throw StoreError.notFound("client_controls \(clientID)") }
        return try Self.control(row)
    }

    static func state(_ row: any SQLRow) throws -> AccountAutonomyRecord {
        AccountAutonomyRecord(accountHash: try row.decode(column: "account_hash", as: String.self), clientID: try row.decode(column: "client_id", as: Int.self),
                              strategy: try row.decode(column: "strategy", as: String.self), portfolioID: try row.decode(column: "portfolio_id", as: Int.self),
                              reason: try row.decode(column: "reason", as: String.self), regime: try row.decode(column: "regime", as: String?.self),
                              selectedAt: try row.decode(column: "selected_at", as: Date.self), switches: try row.decode(column: "switches", as: Int.self),
                              deriskedAt: try row.decode(column: "derisked_at", as: Date?.self),
                              deriskReason: try row.decode(column: "derisk_reason", as: String?.self),
                              demotedStrategy: try row.decode(column: "demoted_strategy", as: String?.self),
                              demotedUntil: try row.decode(column: "demoted_until", as: Date?.self),
                              updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func control(_ row: any SQLRow) throws -> ClientControlRecord {
        var control = ClientControlRecord(clientID: try row.decode(column: "client_id", as: Int.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
        control.paused = try row.decode(column: "paused", as: Bool.self)
        control.pauseReason = try row.decode(column: "pause_reason", as: String?.self)
        control.pausedBy = try row.decode(column: "paused_by", as: String?.self)
        control.pausedAt = try row.decode(column: "paused_at", as: Date?.self)
        control.overrideStrategy = try row.decode(column: "override_strategy", as: String?.self)
        control.overrideUntil = try row.decode(column: "override_until", as: Date?.self)
        control.overrideReason = try row.decode(column: "override_reason", as: String?.self)
        control.overrideBy = try row.decode(column: "override_by", as: String?.self)
        control.overrideAt = try row.decode(column: "override_at", as: Date?.self)
        return control
    }
}

extension Session {
    public var autonomy: AutonomyRepository { AutonomyRepository(database: database) }
}
