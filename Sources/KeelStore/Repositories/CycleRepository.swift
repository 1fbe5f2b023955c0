import FluentKit
import Foundation
import SQLKit

/// `cycle_runs`, `cycle_steps` and `cycle_accounts`.
public struct CycleRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Inserts a queued cycle; `StoreError.duplicate` when an unfinished cycle of the same day exists.
    public func create(_ run: CycleRunRecord) async throws {
        do {
            try await sql.insert(into: "cycle_runs")
                .columns("cycle_id", "cycle_date", "status", "trigger", "dry_run", "as_of", "client_ids", "regime_symbol", "created_by", "created_at")
                .values(SQLBind(run.cycleID), SQLBind(run.cycleDate), SQLBind(run.status.rawValue), SQLBind(run.trigger), SQLBind(run.dryRun),
                        SQLBind(run.asOf), SQLBind(try run.clientIDs.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }),
                        SQLBind(run.regimeSymbol), SQLBind(run.createdBy), SQLBind(run.createdAt))
                .run()
        } catch {
            throw StoreError.translate(error)
        }
    }

    public func find(_ cycleID: String) async throws -> CycleRunRecord? {
        try await sql.select().column("*").from("cycle_runs").where("cycle_id", .equal, cycleID).first().map(Self.run)
    }

    /// The unfinished cycle of a day, if any.
    public func open(cycleDate: String) async throws -> CycleRunRecord? {
        try await sql.select().column("*").from("cycle_runs").where("cycle_date", .equal, cycleDate)
            .where("status", .in, [CycleStatus.queued.rawValue, CycleStatus.running.rawValue]).first().map(Self.run)
    }

    /// The newest cycle of a day with this trigger, finished or not.
    public func latest(cycleDate: String, trigger: String) async throws -> CycleRunRecord? {
        try await sql.select().column("*").from("cycle_runs").where("cycle_date", .equal, cycleDate).where("trigger", .equal, trigger)
            .orderBy("created_at", .descending).first().map(Self.run)
    }

    public func list(limit: Int) async throws -> [CycleRunRecord] {
        try await sql.select().column("*").from("cycle_runs").orderBy("created_at", .descending).orderBy("cycle_id").limit(limit).all().map(Self.run)
    }

    public func setJob(_ cycleID: String, jobID: String) async throws {
        try await sql.update("cycle_runs").set("job_id", to: jobID).where("cycle_id", .equal, cycleID).run()
    }

    public func start(_ cycleID: String, at now: Date) async throws {
        try await sql.update("cycle_runs").set("status", to: CycleStatus.running.rawValue).set("started_at", to: now)
            .where("cycle_id", .equal, cycleID).where("status", .equal, CycleStatus.queued.rawValue).run()
    }

    public func setRegime(_ cycleID: String, regime: String?, confidence: Double?) async throws {
        try await sql.update("cycle_runs").set("regime", to: regime).set("regime_confidence", to: confidence).where("cycle_id", .equal, cycleID).run()
    }

    public func setAccountsTotal(_ cycleID: String, _ total: Int) async throws {
        try await sql.update("cycle_runs").set("accounts_total", to: total).where("cycle_id", .equal, cycleID).run()
    }

    /// Ends a cycle that is still open; false when it had already ended.
    @discardableResult
    public func finish(_ cycleID: String, status: CycleStatus, summary: String?, error: String?, at now: Date) async throws -> Bool {
        let rows = try await sql.update("cycle_runs").set("status", to: status.rawValue).set("summary", to: summary).set("error", to: error)
            .set("finished_at", to: now).where("cycle_id", .equal, cycleID)
            .where("status", .in, [CycleStatus.queued.rawValue, CycleStatus.running.rawValue])
            .returning("cycle_id").all()
        return !rows.isEmpty
    }


    /// Counts `count` more finished accounts, atomically; returns (done, total) after the increment.
    public func countAccountsDone(_ cycleID: String, _ count: Int) async throws -> (done: Int, total: Int) {
        guard let row = try await sql.update("cycle_runs")
            .set(SQLIdentifier("accounts_done"), to: SQLBinaryExpression(SQLIdentifier("accounts_done"), .add, SQLBind(count)))
            .where("cycle_id", .equal, cycleID).returning("accounts_done", "accounts_total").first() else {
            throw StoreError.notFound("cycle \(cycleID)")
        }
        return (try row.decode(column: "accounts_done", as: Int.self), try row.decode(column: "accounts_total", as: Int.self))
    }

    // MARK: steps





    /// Every step of several scopes (a chunk's accounts), in one query.
    public func steps(_ cycleID: String, scopes: [String]) async throws -> [CycleStepRecord] {
        guard !scopes.isEmpty else { return [] }
        return try await sql.select().column("*").from("cycle_steps").where("cycle_id", .equal, cycleID).where("scope", .in, scopes)
            .orderBy("scope").orderBy("sequence").all().map(Self.step)
    }

    /// Marks one step running for many scopes: one multi-row upsert (a resume counts the attempt again).
    public func beginSteps(_ cycleID: String, step: String, sequence: Int, _ starts: [(scope: String, inputs: String?)], at now: Date) async throws {
        for start in stride(from: 0, to: starts.count, by: Self.rowsPerStatement) {
            var insert = sql.insert(into: "cycle_steps").columns("cycle_id", "scope", "step", "sequence", "status", "inputs", "attempts", "started_at")
            for row in starts[start..<min(start + Self.rowsPerStatement, starts.count)] {
                insert = insert.values(SQLBind(cycleID), SQLBind(row.scope), SQLBind(step), SQLBind(sequence), SQLBind(CycleStepStatus.running.rawValue),
                                       SQLBind(row.inputs), SQLBind(1), SQLBind(now))
            }
            try await insert.onConflict(with: ["cycle_id", "scope", "step"]) { conflict in
                conflict.set("status", to: CycleStepStatus.running.rawValue)
                    .set(SQLIdentifier("attempts"), to: Self.plusOne("attempts", table: "cycle_steps"))
                    .set(excludedValueOf: "inputs").set(excludedValueOf: "started_at").set("error", to: SQLLiteral.null)
            }.run()
        }
    }

    /// Ends one step for many scopes: one multi-row upsert of status, outputs, error and duration.
    public func endSteps(_ cycleID: String, step: String, sequence: Int, _ ends: [CycleStepEnd], at now: Date) async throws {
        for start in stride(from: 0, to: ends.count, by: Self.rowsPerStatement) {
            var insert = sql.insert(into: "cycle_steps")
                .columns("cycle_id", "scope", "step", "sequence", "status", "outputs", "error", "attempts", "started_at", "finished_at", "duration_ms")
            for end in ends[start..<min(start + Self.rowsPerStatement, ends.count)] {
                insert = insert.values(SQLBind(cycleID), SQLBind(end.scope), SQLBind(step), SQLBind(sequence), SQLBind(end.status.rawValue),
                                       SQLBind(end.outputs), SQLBind(end.error), SQLBind(1), SQLBind(end.startedAt), SQLBind(now),
                                       SQLBind(end.durationMilliseconds))
            }
            try await insert.onConflict(with: ["cycle_id", "scope", "step"]) { conflict in
                conflict.set(excludedValueOf: "status").set(excludedValueOf: "outputs").set(excludedValueOf: "error")
                    .set(excludedValueOf: "finished_at").set(excludedValueOf: "duration_ms")
            }.run()
        }
    }

    /// Rows per multi-row statement: well under SQLite's and PostgreSQL's bind limits at 11 columns.
    static let rowsPerStatement = 250

    public func steps(_ cycleID: String) async throws -> [CycleStepRecord] {
        try await sql.select().column("*").from("cycle_steps").where("cycle_id", .equal, cycleID)
            .orderBy("scope").orderBy("sequence").all().map(Self.step)
    }

    /// Per step name: how many accounts ran it and their summed duration.
    public func stepDurations(_ cycleID: String) async throws -> [(step: String, count: Int, milliseconds: Int)] {
        // SUM over a BIGINT column is NUMERIC on PostgreSQL: cast back so both databases answer an integer.
        try await sql.raw("""
            SELECT step, COUNT(*) AS n, CAST(COALESCE(SUM(duration_ms), 0) AS BIGINT) AS ms FROM cycle_steps
            WHERE cycle_id = \(bind: cycleID) GROUP BY step
            """).all().map { row in
                (try row.decode(column: "step", as: String.self), try row.decode(column: "n", as: Int.self), try row.decode(column: "ms", as: Int.self))
            }
    }

    // MARK: accounts

    /// Adds the accounts a cycle covers (pending); accounts already listed are left as they are.
    public func addAccounts(_ cycleID: String, _ accounts: [(accountHash: String, clientID: Int)]) async throws {
        let existing = Set(try await sql.select().column("account_hash").from("cycle_accounts").where("cycle_id", .equal, cycleID).all()
            .map { try $0.decode(column: "account_hash", as: String.self) })
        let fresh = accounts.filter { !existing.contains($0.accountHash) }
        for start in stride(from: 0, to: fresh.count, by: 200) {
            var insert = sql.insert(into: "cycle_accounts").columns("cycle_id", "account_hash", "client_id", "status", "orders", "runs")
            for account in fresh[start..<min(start + 200, fresh.count)] {
                insert = insert.values(SQLBind(cycleID), SQLBind(account.accountHash), SQLBind(account.clientID),
                                       SQLBind(CycleAccountStatus.pending.rawValue), SQLBind(0), SQLBind(0))
            }
            try await insert.run()
        }
    }


    public func accounts(_ cycleID: String) async throws -> [CycleAccountRecord] {
        try await sql.select().column("*").from("cycle_accounts").where("cycle_id", .equal, cycleID).orderBy("entry_id").all().map(Self.account)
    }


    /// Takes accounts for a job run in one statement: pending ones, or ones running under the same job (a resume). Counts
    /// the run. Returns those the job holds now (none that are finished or held by another job).
    public func claimAccounts(_ cycleID: String, accountHashes: [String], jobID: String, at now: Date) async throws -> [CycleAccountRecord] {
        guard !accountHashes.isEmpty else { return [] }
        let claimed = try await sql.update("cycle_accounts").set("status", to: CycleAccountStatus.running.rawValue).set("job_id", to: jobID)
            .set(SQLIdentifier("runs"), to: Self.plusOne("runs")).set("started_at", to: now)
            .where("cycle_id", .equal, cycleID).where("account_hash", .in, accountHashes)
            .where { group in
                group.where("status", .equal, CycleAccountStatus.pending.rawValue)
                    .orWhere { $0.where("status", .equal, CycleAccountStatus.running.rawValue).where("job_id", .equal, jobID) }
            }
            .returning("account_hash").all()
        guard !claimed.isEmpty else { return [] }
        return try await sql.select().column("*").from("cycle_accounts").where("cycle_id", .equal, cycleID)
            .where("account_hash", .in, try claimed.map { try $0.decode(column: "account_hash", as: String.self) })
            .orderBy("entry_id").all().map(Self.account)
    }

    /// The accounts a job still holds unfinished (what a chunk's last failed attempt ends).
    public func unfinishedAccounts(_ cycleID: String, jobID: String) async throws -> [CycleAccountRecord] {
        try await sql.select().column("*").from("cycle_accounts").where("cycle_id", .equal, cycleID).where("job_id", .equal, jobID)
            .where("status", .in, [CycleAccountStatus.pending.rawValue, CycleAccountStatus.running.rawValue]).orderBy("entry_id").all().map(Self.account)
    }

    /// Hands a running account to another job (a chunk passing an account to its own per-account job).
    public func handOff(_ cycleID: String, accountHash: String, from jobID: String, to otherJobID: String) async throws {
        try await sql.update("cycle_accounts").set("job_id", to: otherJobID).where("cycle_id", .equal, cycleID)
            .where("account_hash", .equal, accountHash).where("job_id", .equal, jobID).run()
    }

    /// Stores many accounts' outcomes: one multi-row upsert on the account's unique key.
    public func updateAccounts(_ records: [CycleAccountRecord]) async throws {
        for start in stride(from: 0, to: records.count, by: Self.rowsPerStatement) {
            var insert = sql.insert(into: "cycle_accounts")
                .columns("cycle_id", "account_hash", "client_id", "status", "strategy", "reason", "batch_id", "orders", "outcome", "job_id", "runs",
                         "started_at", "finished_at")
            for record in records[start..<min(start + Self.rowsPerStatement, records.count)] {
                insert = insert.values(SQLBind(record.cycleID), SQLBind(record.accountHash), SQLBind(record.clientID), SQLBind(record.status.rawValue),
                                       SQLBind(record.strategy), SQLBind(record.reason), SQLBind(record.batchID), SQLBind(record.orders),
                                       SQLBind(record.outcome), SQLBind(record.jobID), SQLBind(record.runs), SQLBind(record.startedAt),
                                       SQLBind(record.finishedAt))
            }
            try await insert.onConflict(with: ["cycle_id", "account_hash"]) { conflict in
                conflict.set(excludedValueOf: "status").set(excludedValueOf: "strategy").set(excludedValueOf: "reason")
                    .set(excludedValueOf: "batch_id").set(excludedValueOf: "orders").set(excludedValueOf: "outcome")
                    .set(excludedValueOf: "finished_at")
            }.run()
        }
    }


    /// Counts of a cycle's accounts by status.
    public func accountCounts(_ cycleID: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try await sql.select().column("status").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("cycle_accounts")
            .where("cycle_id", .equal, cycleID).groupBy("status").all() {
            counts[try row.decode(column: "status", as: String.self)] = try row.decode(column: "n", as: Int.self)
        }
        return counts
    }

    /// `column + 1`; qualified by `table` where a bare name is ambiguous (an upsert's update, beside EXCLUDED).
    static func plusOne(_ column: String, table: String? = nil) -> SQLBinaryExpression {
        SQLBinaryExpression(table.map { SQLColumn(column, table: $0) as any SQLExpression } ?? SQLIdentifier(column), .add, SQLLiteral.numeric("1"))
    }

    static func run(_ row: any SQLRow) throws -> CycleRunRecord {
        let ids = try row.decode(column: "client_ids", as: String?.self).flatMap { try? JSONDecoder().decode([Int].self, from: Data($0.utf8)) }
        var run = CycleRunRecord(cycleID: try row.decode(column: "cycle_id", as: String.self), cycleDate: try row.decode(column: "cycle_date", as: String.self),
                                 status: CycleStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                                 trigger: try row.decode(column: "trigger", as: String.self), dryRun: try row.decode(column: "dry_run", as: Bool.self),
                                 asOf: try row.decode(column: "as_of", as: Date.self), clientIDs: ids,
                                 regimeSymbol: try row.decode(column: "regime_symbol", as: String.self),
                                 createdBy: try row.decode(column: "created_by", as: String.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        run.regime = try row.decode(column: "regime", as: String?.self)
        run.regimeConfidence = try row.decode(column: "regime_confidence", as: Double?.self)
        run.jobID = try row.decode(column: "job_id", as: String?.self)
        run.accountsTotal = try row.decode(column: "accounts_total", as: Int.self)
        run.accountsDone = try row.decode(column: "accounts_done", as: Int.self)
        run.summary = try row.decode(column: "summary", as: String?.self)
        run.error = try row.decode(column: "error", as: String?.self)
        run.startedAt = try row.decode(column: "started_at", as: Date?.self)
        run.finishedAt = try row.decode(column: "finished_at", as: Date?.self)
        return run
    }

    static func step(_ row: any SQLRow) throws -> CycleStepRecord {
        CycleStepRecord(cycleID: try row.decode(column: "cycle_id", as: String.self), scope: try row.decode(column: "scope", as: String.self),
                        step: try row.decode(column: "step", as: String.self), sequence: try row.decode(column: "sequence", as: Int.self),
                        status: CycleStepStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                        inputs: try row.decode(column: "inputs", as: String?.self), outputs: try row.decode(column: "outputs", as: String?.self),
                        error: try row.decode(column: "error", as: String?.self), attempts: try row.decode(column: "attempts", as: Int.self),
                        startedAt: try row.decode(column: "started_at", as: Date.self), finishedAt: try row.decode(column: "finished_at", as: Date?.self),
                        durationMilliseconds: try row.decode(column: "duration_ms", as: Int?.self))
    }

    static func account(_ row: any SQLRow) throws -> CycleAccountRecord {
        CycleAccountRecord(cycleID: try row.decode(column: "cycle_id", as: String.self), accountHash: try row.decode(column: "account_hash", as: String.self),
                           clientID: try row.decode(column: "client_id", as: Int.self),
                           status: CycleAccountStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                           strategy: try row.decode(column: "strategy", as: String?.self), reason: try row.decode(column: "reason", as: String?.self),
                           batchID: try row.decode(column: "batch_id", as: String?.self), orders: try row.decode(column: "orders", as: Int.self),
                           outcome: try row.decode(column: "outcome", as: String?.self), jobID: try row.decode(column: "job_id", as: String?.self),
                           runs: try row.decode(column: "runs", as: Int.self), startedAt: try row.decode(column: "started_at", as: Date?.self),
                           finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }
}

extension Session {
    public var cycles: CycleRepository { CycleRepository(database: database) }
}
