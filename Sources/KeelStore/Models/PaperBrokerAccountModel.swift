import FluentKit
import Foundation

final class PaperBrokerAccountModel: Model, @unchecked Sendable {
    static let schema = "paper_broker_accounts"
    @ID(custom: "account_id", generatedBy: .user) var id: String?
    @Field(key: "opening_cash") var openingCash: Decimal
    @Field(key: "opened_at") var openedAt: Date
    init() {}
}
