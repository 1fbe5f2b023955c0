import FluentKit
import Foundation

/// An order in the paper broker's own books. `fills` (JSON) holds every fill; rows from before M022 keep their one
/// fill in `fill_id`/`fill_price`/`fill_quantity`.
final class PaperBrokerOrderModel: Model, @unchecked Sendable {
    static let schema = "paper_broker_orders"
    @ID(custom: "broker_order_id", generatedBy: .user) var id: String?
    @Field(key: "account_id") var accountID: String
    @Field(key: "client_order_key") var clientOrderKey: String
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "quantity") var quantity: Decimal
    @Field(key: "status") var status: String
    @OptionalField(key: "reject_reason") var rejectReason: String?
    @OptionalField(key: "fill_id") var fillID: String?
    @OptionalField(key: "fill_price") var fillPrice: Decimal?
    @OptionalField(key: "fill_quantity") var fillQuantity: Decimal?
    @Field(key: "commission") var commission: Decimal
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "order_type") var orderType: String?
    @OptionalField(key: "limit_price") var limitPrice: Decimal?
    @OptionalField(key: "fills") var fills: String?
    @OptionalField(key: "updated_at") var updatedAt: Date?
    init() {}
}
