import Foundation
import KeelServices
import KeelStore
import Vapor

struct LoginRequest: Content {
    var userId: String?
    var password: String?
}

/// OAuth2's token shape (access_token, token_type, expires_in), plus `token` and `expires_at` for older callers.
struct LoginResponse: Content {
    var token: String
    var accessToken: String
    var tokenType = "bearer"
    var expiresIn: Int
    var expiresAt: Date
    var userId: String
    var role: String
    var clientId: Int?
}

struct CreateUserRequest: Content {
    var userId: String?
    var password: String?
    var role: String?
    var displayName: String?
}

struct UserResponse: Content {
    var userId: String
    var role: String
    var displayName: String
    var active: Bool
    var createdAt: Date

    init(_ user: UserRecord) {
        userId = user.userID
        role = user.role.rawValue
        displayName = user.displayName
        active = user.active
        createdAt = user.createdAt
    }
}

struct MeResponse: Content {
    var userId: String
    var role: String
    var clientId: Int?
}

struct UpdateUserRequest: Content {
    var role: String?
    var active: Bool?
}

struct ResetPasswordRequest: Content {
    var password: String?
}

struct ChangePasswordRequest: Content {
    var currentPassword: String?
    var newPassword: String?
}
