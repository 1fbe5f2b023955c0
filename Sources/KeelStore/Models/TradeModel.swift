import FluentKit
import Foundation

/// A round trip on a symbol: opened by a buy fill, closed (wholly or in part, first in first out) by sells.
final class TradeModel: Model, @unchecked Sendable {
    static let schema = "trades"
    @ID(custom: "trade_id", generatedBy: .user) var id: String?
    @Field(key: "user_id") var userID: String
    @OptionalField(key: "strategy_id") var strategyID: String?
    @OptionalField(key: "client_id") var clientID: Int?
    @OptionalField(key: "account_hash") var accountHash: String?
    @Field(key: "symbol") var symbol: String
    @Field(key: "side") var side: String
    @Field(key: "quantity") var quantity: Decimal
    @Field(key: "entry_price") var entryPrice: Decimal
    @OptionalField(key: "exit_price") var exitPrice: Decimal?
    @OptionalField(key: "profit_loss") var profitLoss: Decimal?
    @Field(key: "fees") var fees: Decimal
    @Field(key: "status") var status: String
    @Field(key: "entry_time") var entryTime: Date
    @OptionalField(key: "exit_time") var exitTime: Date?
    @OptionalField(key: "entry_order_id") var entryOrderID: String?
    @OptionalField(key: "exit_order_id") var exitOrderID: String?
    init() {}
}
