import Crypto
import Foundation
import KeelCore
import KeelStore

public struct IssuedToken: Sendable {
    public var token: String
    public var expiresAt: Date
    public var user: UserRecord
    public var clientID: Int?
}

/// Logins, bearer tokens and user administration.
public struct AuthService: Sendable {
    let context: ServiceContext
    let hasher: any PasswordHashing

    public init(context: ServiceContext, hasher: any PasswordHashing) {
        self.context = context
        self.hasher = hasher
    }

    public static let minimumPasswordLength = 8

    public func login(userID: String, password: String) async throws -> IssuedToken {
        let failure = ServiceError(.unauthorized, code: "invalid_credentials", message: "unknown user or wrong password")
        guard let found = try await context.database.read({ try await $0.users.find(userID) }) else {
            _ = try? hasher.verify(password, against: "$2b$12$invalidinvalidinvalidinvOd0mNvSC0Rn3HqJXGoYIP8Jp9dbKlu") // even timing
            throw failure
        }
        guard try hasher.verify(password, against: found.passwordHash) else { throw failure }
        guard found.user.active else {
            throw ServiceError(.forbidden, code: "user_inactive", message: "user \(userID) is deactivated")
        }
        let token = Self.randomToken()
        let now = context.clock.now()
        let expiresAt = now.addingTimeInterval(context.settings.tokenLifetime)
        let clientID = try await context.database.write { session in
            try await session.users.saveToken(hash: Self.digest(token), userID: userID, expiresAt: expiresAt, at: now)
            try await session.audit("login", actor: userID, entityType: "user", entityID: userID, clientID: nil, at: now)
            return try await session.clients.find(userID: userID)?.clientID
        }
        return IssuedToken(token: token, expiresAt: expiresAt, user: found.user, clientID: clientID)
    }

    /// The principal behind a bearer token, or nil when it is unknown, expired or its user deactivated.
    public func authenticate(token: String) async throws -> Principal? {
        let now = context.clock.now()
        return try await context.database.read { session in
            guard let found = try await session.users.findToken(hash: Self.digest(token)),
                  found.expiresAt > now, found.user.active else { return nil }
            let clientID = found.user.role == .client ? try await session.clients.find(userID: found.user.userID)?.clientID : nil
            return Principal(userID: found.user.userID, role: found.user.role, clientID: clientID)
        }
    }

    public func logout(token: String) async throws {
        try await context.database.write { try await $0.users.deleteToken(hash: Self.digest(token)) }
    }

    /// Creates a login. Advisors may create client logins; only admins create staff.
    public func createUser(by principal: Principal, userID: String, password: String, role: UserRole, displayName: String?) async throws -> UserRecord {
        try principal.ensureStaff()
        if role != .client { try principal.ensureAdmin() }
        try Self.validate(userID: userID, password: password)
        let hash = try hasher.hash(password)
        let now = context.clock.now()
        do {
            return try await context.database.write { session in
                if try await session.users.find(userID) != nil {
                    throw ServiceError.conflict("duplicate_user", "user \(userID) already exists", field: "user_id")
                }
                let user = try await session.users.create(userID: userID, passwordHash: hash, role: role,
                                                          displayName: displayName ?? userID, at: now)
                try await session.audit("user.create", actor: principal.userID, entityType: "user", entityID: userID, clientID: nil,
                                        at: now, details: ["role": role.rawValue])
                return user
            }
        } catch StoreError.duplicate {
            throw ServiceError.conflict("duplicate_user", "user \(userID) already exists", field: "user_id")
        }
    }

    public func listUsers(by principal: Principal) async throws -> [UserRecord] {
        try principal.ensureStaff()
        return try await context.database.read { try await $0.users.list() }
    }

    /// Creates the first admin when there is none. Returns the generated password when one was made up,
    /// so the caller can show it once.
    public func bootstrapAdmin(password configured: String?) async throws -> String? {
        if try await context.database.read({ try await $0.users.find("admin") }) != nil { return nil }
        let password = configured ?? Self.randomToken().prefix(20).description
        guard password.count >= Self.minimumPasswordLength else {
            throw ServiceError.invalid("KEEL_ADMIN_PASSWORD", "the admin password needs at least \(Self.minimumPasswordLength) characters")
        }
        let hash = try hasher.hash(password)
        let now = context.clock.now()
        try await context.database.write { session in
            _ = try await session.users.create(userID: "admin", passwordHash: hash, role: .admin, displayName: "Administrator", at: now)
            try await session.audit("user.bootstrap_admin", actor: "system", entityType: "user", entityID: "admin", clientID: nil, at: now)
        }
        return configured == nil ? password : nil
    }

    static func validate(userID: String, password: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (3...64).contains(userID.count), userID.unicodeScalars.allSatisfy(allowed.contains) else {
            throw ServiceError.invalid("user_id", "user_id must be 3-64 characters of letters, digits, '.', '_', '-' or '@'")
        }
        guard password.count >= minimumPasswordLength else {
            throw ServiceError.invalid("password", "password must have at least \(minimumPasswordLength) characters")
        }
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
