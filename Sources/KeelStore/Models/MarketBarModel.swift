import FluentKit
import Foundation

final class MarketBarModel: Model, @unchecked Sendable {
    static let schema = "market_bars"
    @ID(custom: "bar_id", generatedBy: .database) var id: Int?
    @Field(key: "symbol") var symbol: String
    @Field(key: "interval") var interval: String
    @Field(key: "ts") var timestamp: Date
    @Field(key: "open") var open: Double
    @Field(key: "high") var high: Double
    @Field(key: "low") var low: Double
    @Field(key: "close") var close: Double
    @OptionalField(key: "adj_close") var adjustedClose: Double?
    @Field(key: "volume") var volume: Double
    @Field(key: "source") var source: String
    @Field(key: "quality") var quality: String
    init() {}
}
