import FluentKit
import Foundation
import SQLKit

/// One trial of the registry: a training of a family on one universe and date range.
public struct ModelTrialRecord: Sendable, Hashable {
    public var modelID: String
    public var trialKey: String
    public var trialNumber: Int
    /// The per-day Sharpe over the best baseline the trial measured (nil until its evaluation ends).
    public var activeSharpe: Double?
    public var createdAt: Date
}

/// `model_trial_counts` and `model_trials`: numbers every training on the same data, so the gate knows how many
/// tries it is judging.
public struct ModelTrialRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Numbers a new trial on `key`: the counter is bumped by one upsert, so two concurrent submits on the same data
    /// get two numbers (PostgreSQL holds the second on the row lock until the first commits; SQLite has one writer).
    public func record(modelID: String, key: String, at now: Date) async throws -> ModelTrialRecord {
        let row = try await sql.raw("""
            INSERT INTO model_trial_counts (trial_key, trials) VALUES (\(bind: key), 1)
            ON CONFLICT (trial_key) DO UPDATE SET trials = model_trial_counts.trials + 1
            RETURNING trials
            """).first()
        guard let number = try row?.decode(column: "trials", as: Int.self) else { throw StoreError.notFound("model_trial_counts \(key)") }
        try await sql.insert(into: "model_trials").columns("model_id", "trial_key", "trial_number", "created_at")
            .values(SQLBind(modelID), SQLBind(key), SQLBind(number), SQLBind(now)).run()
        return ModelTrialRecord(modelID: modelID, trialKey: key, trialNumber: number, activeSharpe: nil, createdAt: now)
    }

    public func find(modelID: String) async throws -> ModelTrialRecord? {
        try await sql.select().columns("model_id", "trial_key", "trial_number", "active_sharpe", "created_at").from("model_trials")
            .where("model_id", .equal, modelID).first().map(Self.record)
    }

    /// Trials on `key` numbered below `number`, oldest first.
    public func earlier(key: String, before number: Int) async throws -> [ModelTrialRecord] {
        try await sql.select().columns("model_id", "trial_key", "trial_number", "active_sharpe", "created_at").from("model_trials")
            .where("trial_key", .equal, key).where("trial_number", .lessThan, number).orderBy("trial_number").all().map(Self.record)
    }

    /// How many trials were made on `key` so far.
    public func count(key: String) async throws -> Int {
        try await sql.select().column("trials").from("model_trial_counts").where("trial_key", .equal, key).first()?
            .decode(column: "trials", as: Int.self) ?? 0
    }

    public func setActiveSharpe(modelID: String, _ sharpe: Double) async throws {
        try await sql.update("model_trials").set("active_sharpe", to: sharpe.isFinite ? sharpe : 0).where("model_id", .equal, modelID).run()
    }

    static func record(_ row: any SQLRow) throws -> ModelTrialRecord {
        ModelTrialRecord(modelID: try row.decode(column: "model_id", as: String.self), trialKey: try row.decode(column: "trial_key", as: String.self),
                         trialNumber: try row.decode(column: "trial_number", as: Int.self),
                         activeSharpe: try row.decode(column: "active_sharpe", as: Double?.self), createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}

extension Session {
    public var trials: ModelTrialRepository { ModelTrialRepository(database: database) }
}
