import FluentKit
import Foundation

final class UserModel: Model, @unchecked Sendable {
    static let schema = "users"
    @ID(custom: "user_id", generatedBy: .user) var id: String?
    @Field(key: "password_hash") var passwordHash: String
    @Field(key: "role") var role: String
    @Field(key: "display_name") var displayName: String
    @Field(key: "active") var active: Bool
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    init() {}
}
