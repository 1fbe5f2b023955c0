import FluentKit
import Foundation

/// A bearer token, stored only as its SHA-256 hash so a database leak reveals no usable token.
final class UserTokenModel: Model, @unchecked Sendable {
    static let schema = "user_tokens"
    @ID(custom: "token_hash", generatedBy: .user) var id: String?
    @Parent(key: "user_id") var user: UserModel
    @Field(key: "expires_at") var expiresAt: Date
    @Field(key: "created_at") var createdAt: Date
    init() {}
}
