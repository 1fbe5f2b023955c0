import FluentKit

/// The trial registry: every training of a family on one universe and date range is a numbered trial, so the
/// deployment gate can correct its thresholds for the number of tries. `model_trial_counts` hands out the
/// numbers (an upsert, atomic under concurrent submits); `model_trials` keeps each trial's measured Sharpe.
struct M024_CreateModelTrials: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("model_trial_counts")
            .field("trial_key", .string, .identifier(auto: false))
            .field("trials", .int, .required)
            .create()
        try await database.schema("model_trials")
            .field("model_id", .string, .identifier(auto: false))
            .field("trial_key", .string, .required)
            .field("trial_number", .int, .required)
            .field("active_sharpe", .double)
            .field("created_at", .datetime, .required)
            .unique(on: "trial_key", "trial_number", name: "uq_model_trials_number")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("model_trials").delete()
        try await database.schema("model_trial_counts").delete()
    }
}
