import FluentKit
import SQLKit

/// The model registry: trained versions with their evaluation and artifact, the deployment history (one
/// deployed version per family), the predictions served, and the model behind each batch.
struct M019_CreateModelRegistry: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("ml_models")
            .field("model_id", .string, .identifier(auto: false))
            .field("family", .string, .required)
            .field("model_type", .string, .required)
            .field("version", .string, .required)
            .field("params", .string, .required)
            .field("features", .string, .required)
            .field("symbols", .string, .required)
            .field("data_from", .datetime, .required)
            .field("data_to", .datetime, .required)
            .field("horizon_days", .int, .required)
            .field("seed", .int64, .required)
            .field("training_job_id", .string)
            .field("metrics", .string)
            .field("gate_passed", .bool)
            .field("gate", .string)
            .field("artifact", .data)
            .field("artifact_sha256", .string)
            .field("status", .string, .required)
            .field("shadow", .bool, .required, .sql(.default(false)))
            .field("error", .string)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("trained_at", .datetime)
            .unique(on: "version", name: "uq_ml_models_version")
            .create()
        try await database.createIndex("idx_ml_models_family", on: "ml_models", columns: ["family", "status"])
        // One deployed version per family, enforced by the database (concurrent deploys: the second gets a conflict).
        try await (database as! any SQLDatabase).raw("""
            CREATE UNIQUE INDEX uq_ml_models_one_deployed ON ml_models (family) WHERE status = 'deployed'
            """).run()

        try await database.schema("model_deployments")
            .field("deployment_id", .int, .identifier(auto: true))
            .field("family", .string, .required)
            .field("model_id", .string, .required)
            .field("previous_model_id", .string)
            .field("action", .string, .required)
            .field("reason", .string)
            .field("deployed_by", .string, .required)
            .field("deployed_at", .datetime, .required)
            .create()
        try await database.createIndex("idx_model_deployments_family", on: "model_deployments", columns: ["family", "deployment_id"])

        try await database.schema("predictions")
            .field("prediction_id", .int, .identifier(auto: true))
            .field("model_id", .string, .required)
            .field("model_version", .string, .required)
            .field("role", .string, .required)
            .field("client_id", .int)
            .field("symbol", .string, .required)
            .field("as_of", .datetime, .required)
            .field("expected_return", .double, .required)
            .field("score", .double, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await database.createIndex("idx_predictions_model", on: "predictions", columns: ["model_id", "as_of"])

        try await database.schema("trade_batches").field("model_id", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("trade_batches").deleteField("model_id").update()
        try await database.schema("predictions").delete()
        try await database.schema("model_deployments").delete()
        try await database.schema("ml_models").delete()
    }
}
