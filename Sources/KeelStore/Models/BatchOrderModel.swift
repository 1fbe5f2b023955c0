import FluentKit
import Foundation

final class BatchOrderModel: Model, @unchecked Sendable {
    static let schema = "batch_orders"
    @ID(custom: "order_id", generatedBy: .user) var id: String?
    @Field(key: "batch_id") var batchID: String
    @Field(key: "seq") var sequence: Int
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "quantity") var quantity: Decimal
    @Field(key: "reference_price") var referencePrice: Decimal
    @Field(key: "estimated_notional") var estimatedNotional: Decimal
    @Field(key: "current_weight") var currentWeight: Double
    @Field(key: "target_weight") var targetWeight: Double
    @Field(key: "client_order_key") var clientOrderKey: String
    @Field(key: "status") var status: String
    @OptionalField(key: "broker_order_id") var brokerOrderID: String?
    @Field(key: "filled_quantity") var filledQuantity: Decimal
    @OptionalField(key: "average_fill_price") var averageFillPrice: Decimal?
    @Field(key: "commission") var commission: Decimal
    @OptionalField(key: "reject_reason") var rejectReason: String?
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
