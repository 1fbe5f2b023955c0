import FluentKit
import Foundation

final class BrokerageAccountModel: Model, @unchecked Sendable {
    static let schema = "brokerage_accounts"
    @ID(custom: "account_id", generatedBy: .database) var id: Int?
    @Field(key: "account_hash") var accountHash: String
    @Parent(key: "client_id") var client: ClientModel
    @Parent(key: "brokerage_id") var brokerage: BrokerageModel
    @Field(key: "account_number") var accountNumber: String
    @Field(key: "account_type") var accountType: String
    @OptionalField(key: "nickname") var nickname: String?
    @Field(key: "status") var status: String
    @Field(key: "cash") var cash: Decimal
    @Field(key: "currency") var currency: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "halted_reason") var haltedReason: String?
    @OptionalField(key: "halted_at") var haltedAt: Date?
    init() {}
}
