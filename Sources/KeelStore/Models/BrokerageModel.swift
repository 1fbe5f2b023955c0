import FluentKit

final class BrokerageModel: Model, @unchecked Sendable {
    static let schema = "brokerages"
    @ID(custom: "brokerage_id", generatedBy: .user) var id: Int?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "supports_live") var supportsLive: Bool
    init() {}
}
