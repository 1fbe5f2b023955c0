import FluentKit
import Foundation

final class TradeBatchModel: Model, @unchecked Sendable {
    static let schema = "trade_batches"
    @ID(custom: "batch_id", generatedBy: .user) var id: String?
    @Field(key: "client_id") var clientID: Int
    @Field(key: "account_hash") var accountHash: String
    @Field(key: "portfolio_id") var portfolioID: Int
    @Field(key: "strategy") var strategy: String
    @Field(key: "model_version") var modelVersion: String
    /// The registry id of the version that produced it (or the baseline's label).
    @OptionalField(key: "model_id") var modelID: String?
    /// The autonomous cycle that planned it; nil for a batch requested by hand.
    @OptionalField(key: "cycle_id") var cycleID: String?
    @Field(key: "status") var status: String
    @Field(key: "content_hash") var contentHash: String
    @Field(key: "require_approval") var requireApproval: Bool
    @Field(key: "portfolio_value") var portfolioValue: Decimal
    @Field(key: "plan_notes") var planNotes: String
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "approval_expires_at") var approvalExpiresAt: Date?
    @OptionalField(key: "approved_by") var approvedBy: String?
    @OptionalField(key: "approved_at") var approvedAt: Date?
    @OptionalField(key: "approved_hash") var approvedHash: String?
    @OptionalField(key: "rejected_by") var rejectedBy: String?
    @OptionalField(key: "rejected_at") var rejectedAt: Date?
    @OptionalField(key: "rejection_reason") var rejectionReason: String?
    @OptionalField(key: "execution_mode") var executionMode: String?
    @OptionalField(key: "executed_by") var executedBy: String?
    @OptionalField(key: "execution_started_at") var executionStartedAt: Date?
    @OptionalField(key: "executed_at") var executedAt: Date?
    @OptionalField(key: "error") var error: String?
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
