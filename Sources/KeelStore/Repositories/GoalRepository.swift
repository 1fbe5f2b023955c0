import FluentKit
import Foundation
import SQLKit

/// Goals, their progress history and sizing adjustments.
public struct GoalRepository: Sendable {
    let database: any Database
    let rowLockClause: String
    var sql: any SQLDatabase { database as! any SQLDatabase }

    static let updateEncoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public func insert(_ goal: GoalRecord) async throws {
        try await sql.insert(into: "financial_goals").model(goal).run()
    }

    public func save(_ goal: GoalRecord) async throws {
        try await sql.update("financial_goals").set(model: goal, with: Self.updateEncoder).where("goal_id", .equal, goal.goalID).run()
    }

    public func find(_ goalID: String) async throws -> GoalRecord? {
        try await sql.select().column("*").from("financial_goals").where("goal_id", .equal, goalID).first(decoding: GoalRecord.self)
    }

    /// The goal, locked until the transaction ends: concurrent recomputations of one goal run one after the other,
    /// so a later one always sees the trades an earlier one saw.
    public func lock(_ goalID: String) async throws -> GoalRecord? {
        let rows = try await sql.raw("SELECT * FROM financial_goals WHERE goal_id = \(bind: goalID)\(unsafeRaw: rowLockClause)").all()
        return try rows.first?.decode(model: GoalRecord.self)
    }

    /// Many goals, locked in goal-id order until the transaction ends (so concurrent lockers never deadlock), in one query.
    public func lock(_ goalIDs: [String]) async throws -> [GoalRecord] {
        guard !goalIDs.isEmpty else { return [] }
        let ordered = Array(Set(goalIDs)).sorted()
        return try await sql.raw("""
            SELECT * FROM financial_goals WHERE goal_id IN (\(binds: ordered)) ORDER BY goal_id\(unsafeRaw: rowLockClause)
            """).all().map { try $0.decode(model: GoalRecord.self) }
    }

    /// Writes many goals (every column) with one multi-row upsert per 100; each goal must exist.
    public func save(_ goals: [GoalRecord]) async throws {
        for start in stride(from: 0, to: goals.count, by: 100) {
            let chunk = Array(goals[start..<min(start + 100, goals.count)])
            try await sql.insert(into: "financial_goals").models(chunk, with: Self.updateEncoder)
                .onConflict(with: ["goal_id"]) { try $0.set(excludedContentOf: chunk[0], with: Self.updateEncoder) }.run()
        }
    }

    /// The goals of many users (in priority order), in one query.
    public func list(userIDs: [String], statuses: [GoalStatus]) async throws -> [String: [GoalRecord]] {
        guard !userIDs.isEmpty else { return [:] }
        let goals = try await sql.select().column("*").from("financial_goals").where("user_id", .in, Array(Set(userIDs)).sorted())
            .where("status", .in, statuses.map(\.rawValue)).orderBy("priority").orderBy("created_at").orderBy("goal_id").all(decoding: GoalRecord.self)
        return Dictionary(grouping: goals, by: \.userID)
    }

    public func list(userID: String?, clientID: Int?, statuses: [GoalStatus]? = nil, limit: Int = 500) async throws -> [GoalRecord] {
        var query = sql.select().column("*").from("financial_goals")
        if let userID { query = query.where("user_id", .equal, userID) }
        if let clientID { query = query.where("client_id", .equal, clientID) }
        if let statuses { query = query.where("status", .in, statuses.map(\.rawValue)) }
        return try await query.orderBy("priority").orderBy("created_at").orderBy("goal_id").limit(limit).all(decoding: GoalRecord.self)
    }

    /// Goals (of the given statuses) whose scope an account's trading touches: the account's own goals, its
    /// client's goals without an account, and goals of the client's user without a client.
    public func goals(touching accountHash: String, clientID: Int, userID: String?,
                      statuses: [GoalStatus] = [.active, .atRisk]) async throws -> [GoalRecord] {
        var query = sql.select().column("*").from("financial_goals").where("status", .in, statuses.map(\.rawValue))
            .where { group in
                var group = group.where("account_hash", .equal, accountHash)
                    .orWhere { $0.where("client_id", .equal, clientID).where("account_hash", .is, SQLLiteral.null) }
                if let userID {
                    group = group.orWhere { $0.where("user_id", .equal, userID).where("client_id", .is, SQLLiteral.null) }
                }
                return group
            }
        query = query.orderBy("priority").orderBy("created_at")
        return try await query.all(decoding: GoalRecord.self)
    }

    /// The goals touching any of many accounts (see `goals(touching:)`), in priority order, in one query; the caller
    /// picks each account's.
    public func goals(touchingAny accounts: [(accountHash: String, clientID: Int, userID: String?)],
                      statuses: [GoalStatus] = [.active, .atRisk]) async throws -> [GoalRecord] {
        guard !accounts.isEmpty else { return [] }
        let userIDs = Array(Set(accounts.compactMap(\.userID)))
        var query = sql.select().column("*").from("financial_goals").where("status", .in, statuses.map(\.rawValue))
            .where { group in
                var group = group.where("account_hash", .in, accounts.map(\.accountHash))
                    .orWhere { $0.where("client_id", .in, Array(Set(accounts.map(\.clientID)))).where("account_hash", .is, SQLLiteral.null) }
                if !userIDs.isEmpty {
                    group = group.orWhere { $0.where("user_id", .in, userIDs).where("client_id", .is, SQLLiteral.null) }
                }
                return group
            }
        query = query.orderBy("priority").orderBy("created_at")
        return try await query.all(decoding: GoalRecord.self)
    }

    public func openGoalIDs() async throws -> [String] {
        try await sql.select().column("goal_id").from("financial_goals")
            .where("status", .in, [GoalStatus.active.rawValue, GoalStatus.atRisk.rawValue]).orderBy("goal_id").all()
            .map { try $0.decode(column: "goal_id", as: String.self) }
    }

    /// Appends under the goal's row lock (the caller holds it): the row's id is the order the changes were
    /// applied in, and its time never goes back before the previous entry's (a caller's clock reading may
    /// have been taken before it waited for the lock).
    public func appendHistory(_ entry: GoalHistoryRecord) async throws {
        var entry = entry
        if let last = try await sql.select().column("recorded_at").from("goal_progress_history").where("goal_id", .equal, entry.goalID)
            .orderBy("history_id", .descending).limit(1).first()?.decode(column: "recorded_at", as: Date.self), last > entry.recordedAt {
            entry.recordedAt = last
        }
        try await sql.insert(into: "goal_progress_history").model(entry).run()
    }

    /// Appends entries of many goals (under their row locks) with one multi-row INSERT per 200, each entry's time
    /// kept from going back before its goal's previous entry, as `appendHistory` does for one.
    public func appendHistory(_ entries: [GoalHistoryRecord]) async throws {
        guard !entries.isEmpty else { return }
        var latest: [String: Date] = [:]
        for row in try await sql.raw("""
            SELECT goal_id, MAX(recorded_at) AS recorded_at FROM goal_progress_history WHERE goal_id IN (\(binds: Array(Set(entries.map(\.goalID))).sorted()))
            GROUP BY goal_id
            """).all() {
            latest[try row.decode(column: "goal_id", as: String.self)] = try row.decode(column: "recorded_at", as: Date.self)
        }
        let kept = entries.map { entry in
            var entry = entry
            if let last = latest[entry.goalID], last > entry.recordedAt { entry.recordedAt = last }
            return entry
        }
        try await insertRows(into: "goal_progress_history", kept, without: "history_id")
    }

    public func appendAdjustments(_ entries: [GoalAdjustmentRecord]) async throws {
        try await insertRows(into: "goal_adjustment_log", entries, without: "adjustment_id")
    }

    /// Multi-row INSERTs (200 rows each) of records whose id column the database assigns: every other column is
    /// written, nils as NULL, so all rows have the same columns.
    private func insertRows(into table: String, _ records: [some Encodable], without idColumn: String) async throws {
        let rows = try records.map { try Self.updateEncoder.encode($0).filter { $0.0 != idColumn } }
        guard let columns = rows.first?.map(\.0) else { return }
        for start in stride(from: 0, to: rows.count, by: 200) {
            var insert = sql.insert(into: table).columns(columns)
            for row in rows[start..<min(start + 200, rows.count)] { insert = insert.values(row.map(\.1)) }
            try await insert.run()
        }
    }

    /// In the order the changes were applied (the row id, assigned under the goal's lock).
    public func history(goalID: String, limit: Int = 1000) async throws -> [GoalHistoryRecord] {
        try await sql.select().column("*").from("goal_progress_history").where("goal_id", .equal, goalID)
            .orderBy("history_id").limit(limit).all(decoding: GoalHistoryRecord.self)
    }

    public func appendAdjustment(_ entry: GoalAdjustmentRecord) async throws {
        try await sql.insert(into: "goal_adjustment_log").model(entry).run()
    }

    public func lastAdjustment(goalID: String) async throws -> GoalAdjustmentRecord? {
        try await sql.select().column("*").from("goal_adjustment_log").where("goal_id", .equal, goalID)
            .orderBy("created_at", .descending).orderBy("adjustment_id", .descending).first(decoding: GoalAdjustmentRecord.self)
    }

    public func adjustments(goalID: String, limit: Int = 1000) async throws -> [GoalAdjustmentRecord] {
        try await sql.select().column("*").from("goal_adjustment_log").where("goal_id", .equal, goalID)
            .orderBy("created_at").orderBy("adjustment_id").limit(limit).all(decoding: GoalAdjustmentRecord.self)
    }
}

/// Strategy instances of users.
public struct StrategyInstanceRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func insert(_ instance: StrategyInstanceRecord) async throws {
        try await sql.insert(into: "strategy_instances").model(instance).run()
    }

    public func save(_ instance: StrategyInstanceRecord) async throws {
        try await sql.update("strategy_instances").set(model: instance, with: GoalRepository.updateEncoder)
            .where("strategy_id", .equal, instance.strategyID).run()
    }

    public func find(_ strategyID: String) async throws -> StrategyInstanceRecord? {
        try await sql.select().column("*").from("strategy_instances").where("strategy_id", .equal, strategyID)
            .first(decoding: StrategyInstanceRecord.self)
    }

    /// The instances of many goals, oldest first, by goal (one query).
    public func list(goalIDs: [String]) async throws -> [String: [StrategyInstanceRecord]] {
        guard !goalIDs.isEmpty else { return [:] }
        let instances = try await sql.select().column("*").from("strategy_instances").where("goal_id", .in, Array(Set(goalIDs)).sorted())
            .orderBy("created_at").orderBy("strategy_id").all(decoding: StrategyInstanceRecord.self)
        return Dictionary(grouping: instances, by: { $0.goalID ?? "" })
    }

    public func insert(_ instances: [StrategyInstanceRecord]) async throws {
        for start in stride(from: 0, to: instances.count, by: 100) {
            try await sql.insert(into: "strategy_instances").models(Array(instances[start..<min(start + 100, instances.count)]), with: GoalRepository.updateEncoder).run()
        }
    }

    public func list(userID: String?, goalID: String? = nil) async throws -> [StrategyInstanceRecord] {
        var query = sql.select().column("*").from("strategy_instances")
        if let userID { query = query.where("user_id", .equal, userID) }
        if let goalID { query = query.where("goal_id", .equal, goalID) }
        return try await query.orderBy("created_at").orderBy("strategy_id").limit(500).all(decoding: StrategyInstanceRecord.self)
    }
}

extension Session {
    public var goals: GoalRepository { GoalRepository(database: database, rowLockClause: rowLockClause) }
    public var strategyInstances: StrategyInstanceRepository { StrategyInstanceRepository(database: database) }
}
