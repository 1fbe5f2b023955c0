import FluentKit
import Foundation

final class ClientModel: Model, @unchecked Sendable {
    static let schema = "clients"
    @ID(custom: "client_id", generatedBy: .database) var id: Int?
    @Field(key: "first_name") var firstName: String
    @Field(key: "last_name") var lastName: String
    @Field(key: "email") var email: String
    @OptionalField(key: "phone") var phone: String?
    @OptionalField(key: "date_of_birth") var dateOfBirth: String?
    @Field(key: "risk_tolerance") var riskTolerance: String
    @OptionalField(key: "investment_horizon_years") var investmentHorizonYears: Int?
    @Field(key: "status") var status: String
    @OptionalParent(key: "user_id") var user: UserModel?
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
