import FluentKit

/// Lineage a version can be reproduced from: a fingerprint of the exact bars it was trained on and the build
/// of Keel that trained it.
struct M025_ModelLineage: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("ml_models").field("data_fingerprint", .string).update()
        try await database.schema("ml_models").field("build_version", .string).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("ml_models").deleteField("build_version").update()
        try await database.schema("ml_models").deleteField("data_fingerprint").update()
    }
}
