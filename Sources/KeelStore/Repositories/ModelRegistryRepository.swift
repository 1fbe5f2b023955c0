import FluentKit
import Foundation
import SQLKit

/// `ml_models`, `model_deployments` and `predictions`.
public struct ModelRegistryRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Inserts a version in `training`, labelled `<model_type>/v<n>` with the next free n for its type.
    public func create(_ model: NewMLModel, by actor: String, at now: Date) async throws -> MLModelRecord {
        let existing = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("ml_models")
            .where("model_type", .equal, model.modelType).first()?.decode(column: "n", as: Int.self) ?? 0
        let version = "\(model.modelType)/v\(existing + 1)"
        try await sql.insert(into: "ml_models")
            .columns("model_id", "family", "model_type", "version", "params", "features", "symbols", "data_from", "data_to", "horizon_days",
                     "seed", "status", "created_by", "created_at")
            .values(SQLBind(model.modelID), SQLBind(model.family.rawValue), SQLBind(model.modelType), SQLBind(version), SQLBind(model.params),
                    SQLBind(model.features), SQLBind(model.symbols), SQLBind(model.dataFrom), SQLBind(model.dataTo), SQLBind(model.horizonDays),
                    SQLBind(model.seed), SQLBind(ModelStatus.training.rawValue), SQLBind(actor), SQLBind(now))
            .run()
        guard let created = try await find(model.modelID) else { throw StoreError.notFound("ml_models \(model.modelID)") }
        return created
    }

    /// Serialises version numbering of a model type until the transaction ends (a PostgreSQL advisory lock; SQLite's
    /// single writer already does): two concurrent trainings would otherwise count the same n and collide on `v<n>`.
    public func lockVersionNumbering(_ modelType: String, in session: Session) async throws {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-model-version:" + modelType)))").all()
        }
    }

    /// Serialises deployments of a family until the transaction ends (a PostgreSQL advisory lock; SQLite's single
    /// writer already does): two concurrent deploys or rollbacks would otherwise update the same two rows in
    /// opposite orders and deadlock.
    public func lockFamily(_ family: ModelFamily, in session: Session) async throws {
        if session.dialect == .postgres {
            _ = try await sql.raw("SELECT pg_advisory_xact_lock(hashtext(\(bind: "keel-model-family:" + family.rawValue)))").all()
        }
    }

    public func attachJob(_ modelID: String, jobID: String) async throws {
        try await sql.update("ml_models").set("training_job_id", to: jobID).where("model_id", .equal, modelID).run()
    }

    public func finishTraining(_ modelID: String, metrics: String, gatePassed: Bool, gate: String, features: String,
                               artifact: Data, sha256: String, dataFingerprint: String, buildVersion: String, at now: Date) async throws {
        try await sql.update("ml_models").set("metrics", to: metrics).set("gate_passed", to: gatePassed).set("gate", to: gate)
            .set("data_fingerprint", to: dataFingerprint).set("build_version", to: buildVersion)
            .set("features", to: features).set("artifact", to: artifact).set("artifact_sha256", to: sha256)
            .set("status", to: ModelStatus.trained.rawValue).set("error", to: SQLLiteral.null).set("trained_at", to: now)
            .where("model_id", .equal, modelID).run()
    }

    public func fail(_ modelID: String, error: String, at now: Date) async throws {
        try await sql.update("ml_models").set("status", to: ModelStatus.failed.rawValue).set("error", to: error).set("trained_at", to: now)
            .where("model_id", .equal, modelID).run()
    }

    public func setStatus(_ modelID: String, _ status: ModelStatus) async throws {
        try await sql.update("ml_models").set("status", to: status.rawValue).where("model_id", .equal, modelID).run()
    }

    public func setShadow(_ modelID: String, _ enabled: Bool) async throws {
        try await sql.update("ml_models").set("shadow", to: enabled).where("model_id", .equal, modelID).run()
    }

    /// Trained versions of `family` running in shadow.
    public func shadows(family: ModelFamily) async throws -> [MLModelRecord] {
        try await sql.select().columns(Self.columns).from("ml_models").where("family", .equal, family.rawValue)
            .where("status", .equal, ModelStatus.trained.rawValue).where("shadow", .equal, true).orderBy("model_id").all().map(Self.record)
    }

    public func find(_ modelID: String) async throws -> MLModelRecord? {
        try await sql.select().columns(Self.columns).from("ml_models").where("model_id", .equal, modelID).first().map(Self.record)
    }

    public func artifact(_ modelID: String) async throws -> Data? {
        try await sql.select().column("artifact").from("ml_models").where("model_id", .equal, modelID).first()?
            .decode(column: "artifact", as: Data?.self)
    }

    public func list(family: ModelFamily?, status: ModelStatus?, limit: Int) async throws -> [MLModelRecord] {
        var query = sql.select().columns(Self.columns).from("ml_models")
        if let family { query = query.where("family", .equal, family.rawValue) }
        if let status { query = query.where("status", .equal, status.rawValue) }
        return try await query.orderBy("created_at", .descending).orderBy("model_id").limit(limit).all().map(Self.record)
    }

    public func deployed(family: ModelFamily) async throws -> MLModelRecord? {
        try await sql.select().columns(Self.columns).from("ml_models").where("family", .equal, family.rawValue)
            .where("status", .equal, ModelStatus.deployed.rawValue).first().map(Self.record)
    }

    public func recordDeployment(family: ModelFamily, modelID: String, previousModelID: String?, action: String, reason: String?,
                                 by actor: String, at now: Date) async throws {
        try await sql.insert(into: "model_deployments")
            .columns("family", "model_id", "previous_model_id", "action", "reason", "deployed_by", "deployed_at")
            .values(SQLBind(family.rawValue), SQLBind(modelID), SQLBind(previousModelID), SQLBind(action), SQLBind(reason), SQLBind(actor), SQLBind(now))
            .run()
    }

    public func deployments(family: ModelFamily?, limit: Int) async throws -> [ModelDeploymentRecord] {
        var query = sql.select().column("*").from("model_deployments")
        if let family { query = query.where("family", .equal, family.rawValue) }
        return try await query.orderBy("deployment_id", .descending).limit(limit).all().map { row in
            ModelDeploymentRecord(deploymentID: try row.decode(column: "deployment_id", as: Int.self),
                                  family: ModelFamily(rawValue: try row.decode(column: "family", as: String.self)) ?? .ml,
                                  modelID: try row.decode(column: "model_id", as: String.self),
                                  previousModelID: try row.decode(column: "previous_model_id", as: String?.self),
                                  action: try row.decode(column: "action", as: String.self), reason: try row.decode(column: "reason", as: String?.self),
                                  deployedBy: try row.decode(column: "deployed_by", as: String.self),
                                  deployedAt: try row.decode(column: "deployed_at", as: Date.self))
        }
    }

    public func storePredictions(_ predictions: [StoredPrediction], at now: Date) async throws {
        for chunk in stride(from: 0, to: predictions.count, by: 200).map({ Array(predictions[$0..<min($0 + 200, predictions.count)]) }) {
            var insert = sql.insert(into: "predictions")
                .columns("model_id", "model_version", "role", "client_id", "symbol", "as_of", "expected_return", "score", "created_at")
            for p in chunk {
                insert = insert.values(SQLBind(p.modelID), SQLBind(p.modelVersion), SQLBind(p.role), SQLBind(p.clientID), SQLBind(p.symbol),
                                       SQLBind(p.asOf), SQLBind(p.expectedReturn), SQLBind(p.score), SQLBind(now))
            }
            try await insert.run()
        }
    }

    public func predictions(modelID: String, limit: Int) async throws -> [StoredPrediction] {
        try await predictions(sql.select().column("*").from("predictions").where("model_id", .equal, modelID)
            .orderBy("prediction_id", .descending).limit(limit))
    }

    /// What was served (by any version) at these times.
    public func servedPredictions(asOf times: [Date], limit: Int) async throws -> [StoredPrediction] {
        guard !times.isEmpty else { return [] }
        return try await predictions(sql.select().column("*").from("predictions").where("role", .equal, "served")
            .where("as_of", .in, times).orderBy("prediction_id", .descending).limit(limit))
    }

    func predictions(_ query: SQLSelectBuilder) async throws -> [StoredPrediction] {
        try await query.all().map { row in
                StoredPrediction(modelID: try row.decode(column: "model_id", as: String.self),
                                 modelVersion: try row.decode(column: "model_version", as: String.self),
                                 role: try row.decode(column: "role", as: String.self), clientID: try row.decode(column: "client_id", as: Int?.self),
                                 symbol: try row.decode(column: "symbol", as: String.self), asOf: try row.decode(column: "as_of", as: Date.self),
                                 expectedReturn: try row.decode(column: "expected_return", as: Double.self),
                                 score: try row.decode(column: "score", as: Double.self))
            }
    }

    static let columns: [String] = ["model_id", "family", "model_type", "version", "params", "features", "symbols", "data_from", "data_to",
                                    "horizon_days", "seed", "training_job_id", "metrics", "gate_passed", "gate", "artifact_sha256", "data_fingerprint", "build_version", "status",
                                    "shadow", "error", "created_by", "created_at", "trained_at"]

    static func record(_ row: any SQLRow) throws -> MLModelRecord {
        MLModelRecord(modelID: try row.decode(column: "model_id", as: String.self),
                      family: ModelFamily(rawValue: try row.decode(column: "family", as: String.self)) ?? .ml,
                      modelType: try row.decode(column: "model_type", as: String.self), version: try row.decode(column: "version", as: String.self),
                      params: try row.decode(column: "params", as: String.self), features: try row.decode(column: "features", as: String.self),
                      symbols: try row.decode(column: "symbols", as: String.self), dataFrom: try row.decode(column: "data_from", as: Date.self),
                      dataTo: try row.decode(column: "data_to", as: Date.self), horizonDays: try row.decode(column: "horizon_days", as: Int.self),
                      seed: try row.decode(column: "seed", as: Int64.self), trainingJobID: try row.decode(column: "training_job_id", as: String?.self),
                      metrics: try row.decode(column: "metrics", as: String?.self), gatePassed: try row.decode(column: "gate_passed", as: Bool?.self),
                      gate: try row.decode(column: "gate", as: String?.self), artifactSHA256: try row.decode(column: "artifact_sha256", as: String?.self),
                      dataFingerprint: try row.decode(column: "data_fingerprint", as: String?.self),
                      buildVersion: try row.decode(column: "build_version", as: String?.self),
                      status: ModelStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
                      shadow: try row.decode(column: "shadow", as: Bool.self),
                      error: try row.decode(column: "error", as: String?.self), createdBy: try row.decode(column: "created_by", as: String.self),
                      createdAt: try row.decode(column: "created_at", as: Date.self), trainedAt: try row.decode(column: "trained_at", as: Date?.self))
    }
}

extension Session {
    public var models: ModelRegistryRepository { ModelRegistryRepository(database: database) }
}
