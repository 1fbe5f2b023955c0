import FluentKit
import Foundation

final class InstrumentModel: Model, @unchecked Sendable {
    static let schema = "instruments"
    @ID(custom: "symbol", generatedBy: .user) var id: String?
    @Field(key: "asset_class") var assetClass: String
    @Field(key: "name") var name: String
    @Field(key: "quantity_increment") var quantityIncrement: Decimal
    @Field(key: "tradable") var tradable: Bool
    @Field(key: "currency") var currency: String
    init() {}
}
