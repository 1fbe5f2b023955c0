import Foundation
import KeelServices
import KeelStore
import Vapor

struct LoginRequest: Content {
    var userId: String?
    var password: String?
}

struct LoginResponse: Content {
    var token: String
    var tokenType = "bearer"
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
