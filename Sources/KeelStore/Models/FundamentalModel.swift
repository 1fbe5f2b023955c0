import FluentKit
import Foundation

final class FundamentalModel: Model, @unchecked Sendable {
    static let schema = "fundamentals"
    @ID(custom: "fundamental_id", generatedBy: .database) var id: Int?
    @Field(key: "symbol") var symbol: String
    @Field(key: "as_of") var asOf: Date
    @OptionalField(key: "name") var name: String?
    @OptionalField(key: "sector") var sector: String?
    @OptionalField(key: "sub_industry") var subIndustry: String?
    @OptionalField(key: "price") var price: Double?
    @OptionalField(key: "pe_ratio") var peRatio: Double?
    @OptionalField(key: "dividend_yield") var dividendYield: Double?
    @OptionalField(key: "eps") var eps: Double?
    @OptionalField(key: "week52_low") var week52Low: Double?
    @OptionalField(key: "week52_high") var week52High: Double?
    @OptionalField(key: "market_cap") var marketCap: Double?
    @OptionalField(key: "ebitda") var ebitda: Double?
    @OptionalField(key: "price_to_sales") var priceToSales: Double?
    @OptionalField(key: "price_to_book") var priceToBook: Double?
    @Field(key: "source") var source: String
    init() {}
}
