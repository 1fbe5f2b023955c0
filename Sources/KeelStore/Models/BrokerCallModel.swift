import FluentKit
import Foundation

/// One request to a broker and what came back, kept for audit and for reconciling unknown outcomes.
final class BrokerCallModel: Model, @unchecked Sendable {
    static let schema = "broker_calls"
    @ID(custom: "call_id", generatedBy: .database) var id: Int?
    @Field(key: "at") var at: Date
    @Field(key: "broker") var broker: String
    @Field(key: "account_hash") var accountHash: String
    @Field(key: "operation") var operation: String
    @OptionalField(key: "client_order_key") var clientOrderKey: String?
    @Field(key: "request") var request: String
    @Field(key: "response") var response: String
    @Field(key: "outcome") var outcome: String
    @Field(key: "duration_ms") var durationMilliseconds: Int
    init() {}
}
