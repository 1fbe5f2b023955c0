import FluentKit
import Foundation

final class FillModel: Model, @unchecked Sendable {
    static let schema = "fills"
    /// The broker's fill id: the primary key makes recording one fill twice impossible.
    @ID(custom: "fill_id", generatedBy: .user) var id: String?
    @Field(key: "order_id") var orderID: String
    @Field(key: "account_hash") var accountHash: String
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "quantity") var quantity: Decimal
    @Field(key: "price") var price: Decimal
    @Field(key: "commission") var commission: Decimal
    @Field(key: "filled_at") var filledAt: Date
    @Field(key: "recorded_at") var recordedAt: Date
    init() {}
}
