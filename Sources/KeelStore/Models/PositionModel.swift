import FluentKit
import Foundation

final class PositionModel: Model, @unchecked Sendable {
    static let schema = "positions"
    @ID(custom: "position_id", generatedBy: .database) var id: Int?
    @Field(key: "account_hash") var accountHash: String
    @Field(key: "client_id") var clientID: Int
    @OptionalField(key: "user_id") var userID: String?
    @Field(key: "symbol") var symbol: String
    @Field(key: "quantity") var quantity: Decimal
    @Field(key: "average_cost") var averageCost: Decimal
    @Field(key: "opened_at") var openedAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
