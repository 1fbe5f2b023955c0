import FluentKit
import Foundation

/// Append-only record of who did what. No foreign keys: the history outlives what it describes.
final class AuditLogModel: Model, @unchecked Sendable {
    static let schema = "audit_log"
    @ID(custom: "audit_id", generatedBy: .database) var id: Int?
    @Field(key: "at") var at: Date
    @Field(key: "actor") var actor: String
    @Field(key: "action") var action: String
    @Field(key: "entity_type") var entityType: String
    @Field(key: "entity_id") var entityID: String
    @OptionalField(key: "client_id") var clientID: Int?
    @Field(key: "details") var details: String
    init() {}
}
