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

    /// `address`: the client's network address, throttled apart from the user id.
    public func login(userID rawUserID: String, password: String, address: String? = nil) async throws -> IssuedToken {
        let failure = ServiceError(.unauthorized, code: "invalid_credentials", message: "unknown user or wrong password")
        // An id that no login could have is simply unknown (no lookup, same answer).
        let userID = (try? UserIdentity.normalise(rawUserID)) ?? rawUserID.lowercased()
        let keys = ["user:" + userID] + (address.map { ["address:" + $0] } ?? [])
        try await ensureNotThrottled(keys)
        let found = try await context.database.read { try await $0.users.find(folded: userID) }
        let matches: Bool
        if let found {
            matches = try hasher.verify(PasswordPolicy.bcryptInput(password), against: found.passwordHash)
        } else {
            _ = try? hasher.verify(password, against: "$2b$12$invalidinvalidinvalidinvOd0mNvSC0Rn3HqJXGoYIP8Jp9dbKlu") // even timing
            matches = false
        }
        guard let found, matches else {
            try await recordFailure(keys)
            throw failure
        }
        let user = found.user
        guard user.active else {
            throw ServiceError(.forbidden, code: "user_inactive", message: "user \(user.userID) is deactivated")
        }
        let token = Self.randomToken()
        let now = context.clock.now()
        let expiresAt = now.addingTimeInterval(context.settings.tokenLifetime)
        let clientID = try await context.database.write { session -> Int? in
            let client = try await session.clients.find(userID: user.userID)
            if user.role == .client, let client, client.status != .active {
                throw ServiceError(.forbidden, code: "client_inactive", message: "the client of user \(user.userID) is deactivated")
            }
            try await session.loginThrottles.clear("user:" + user.userID)
            try await session.users.saveToken(hash: Self.digest(token), userID: user.userID, expiresAt: expiresAt, at: now)
            try await session.audit("login", actor: user.userID, entityType: "user", entityID: user.userID, clientID: nil, at: now)
            return user.role == .client ? client?.clientID : nil
        }
        return IssuedToken(token: token, expiresAt: expiresAt, user: user, clientID: clientID)
    }

    private func ensureNotThrottled(_ keys: [String]) async throws {
        let now = context.clock.now()
        let until = try await context.database.read { session in
            var latest: Date?
            for key in keys { if let locked = try await session.loginThrottles.find(key)?.lockedUntil, locked > now { latest = max(latest ?? locked, locked) } }
            return latest
        }
        if let until {
            let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
            var error = ServiceError(.tooManyRequests, code: "login_throttled",
                                     message: "too many failed logins; try again in \(seconds) s (an admin can lift a user's lockout)")
            error.retryAfter = seconds
            throw error
        }
    }

    private func recordFailure(_ keys: [String]) async throws {
        let now = context.clock.now()
        try await context.database.write { session in
            for key in keys.sorted() {
                let policy = key.hasPrefix("user:") ? LoginThrottlePolicy.perUser : LoginThrottlePolicy.perAddress
                let stored = try await session.loginThrottles.lock(key, at: now, in: session)
                let failures = policy.failures(after: stored.failures, lastFailureAt: stored.failures == 0 ? nil : stored.lastFailureAt, now: now)
                let lockout = policy.lockout(afterFailures: failures)
                try await session.loginThrottles.save(LoginThrottleRecord(key: key, failures: failures, lastFailureAt: now,
                                                                          lockedUntil: lockout > 0 ? now.addingTimeInterval(lockout) : nil))
            }
        }
    }

    /// The principal behind a bearer token, or nil when it is unknown, expired, its user deactivated, or the
    /// client of a client login deactivated.
    public func authenticate(token: String) async throws -> Principal? {
        let now = context.clock.now()
        let digest = Self.digest(token)
        // A token's check is reused only while nothing was written: a logout, revocation, deactivation or role
        // change is a write, so it takes effect at the next request.
        let found = try await context.readCache.value(.token(digest: digest), maxAge: Self.tokenCheckLifetime,
                                                       database: context.database, now: now, keep: { $0.principal != nil }) {
            try await context.database.read { session -> TokenCheck in
                guard let found = try await session.users.findToken(hash: digest), found.user.active else { return TokenCheck(principal: nil, expiresAt: now) }
                guard found.user.role == .client else {
                    return TokenCheck(principal: Principal(userID: found.user.userID, role: found.user.role, clientID: nil), expiresAt: found.expiresAt)
                }
                let client = try await session.clients.find(userID: found.user.userID)
                if let client, client.status != .active { return TokenCheck(principal: nil, expiresAt: now) }
                return TokenCheck(principal: Principal(userID: found.user.userID, role: found.user.role, clientID: client?.clientID),
                                  expiresAt: found.expiresAt)
            }
        }
        return found.expiresAt > now ? found.principal : nil
    }

    /// How long a token check may be reused while nothing is written.
    static let tokenCheckLifetime: TimeInterval = 5

    struct TokenCheck: Sendable {
        var principal: Principal?
        var expiresAt: Date
    }

    public func logout(token: String) async throws {
        try await context.database.write { try await $0.users.deleteToken(hash: Self.digest(token)) }
    }

    /// Creates a login. Advisors may create client logins; only admins create staff.
    public func createUser(by principal: Principal, userID rawUserID: String, password: String, role: UserRole, displayName: String?) async throws -> UserRecord {
        try principal.ensureStaff()
        if role != .client { try principal.ensureAdmin() }
        let userID = try UserIdentity.registrable(rawUserID)
        try PasswordPolicy.check(password, userID: userID)
        if let displayName { _ = try FieldValidation.requiredText(displayName, field: "display_name", maxLength: 200) }
        let hash = try hasher.hash(PasswordPolicy.bcryptInput(password))
        let now = context.clock.now()
        do {
            return try await context.database.write { session in
                if try await session.users.find(folded: userID) != nil {
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

    public func user(_ userID: String, by principal: Principal) async throws -> UserRecord {
        try principal.ensureStaff()
        guard let found = try await context.database.read({ try await $0.users.find(folded: userID) }) else {
            throw ServiceError.notFound("user \(userID)", field: "user_id")
        }
        return found.user
    }

    /// Deactivating ends every session at once; a deactivated user cannot log in until re-activated.
    public func setActive(_ userID: String, active: Bool, by principal: Principal) async throws -> UserRecord {
        try await administer(userID, by: principal, action: active ? "user.activate" : "user.deactivate") { session, user, now in
            guard user.userID != principal.userID || active else {
                throw ServiceError.conflict("cannot_deactivate_self", "you cannot deactivate your own login", field: "user_id")
            }
            try await session.users.setActive(user.userID, active, at: now)
            if !active { try await session.users.deleteTokens(userID: user.userID) }
        }
    }

    /// Admin only; the user's sessions end so the new role applies to every request from now on.
    public func setRole(_ userID: String, role: UserRole, by principal: Principal) async throws -> UserRecord {
        try principal.ensureAdmin()
        return try await administer(userID, by: principal, action: "user.role") { session, user, now in
            guard user.userID != principal.userID else {
                throw ServiceError.conflict("cannot_change_own_role", "you cannot change your own role", field: "role")
            }
            if user.role == .client, role != .client, try await session.clients.find(userID: user.userID) != nil {
                throw ServiceError.conflict("linked_to_client", "user \(user.userID) is linked to a client; unlink it before making it staff", field: "role")
            }
            try await session.users.setRole(user.userID, role, at: now)
            try await session.users.deleteTokens(userID: user.userID)
        }
    }

    public func revokeSessions(_ userID: String, by principal: Principal) async throws -> UserRecord {
        try await administer(userID, by: principal, action: "user.revoke_sessions", allowSelf: true) { session, user, _ in
            try await session.users.deleteTokens(userID: user.userID)
        }
    }

    /// An operator sets a new password (the user's sessions end).
    public func resetPassword(_ userID: String, to password: String, by principal: Principal) async throws -> UserRecord {
        let hash = try hasher.hash(PasswordPolicy.bcryptInput(password))
        return try await administer(userID, by: principal, action: "user.reset_password") { session, user, now in
            try PasswordPolicy.check(password, userID: user.userID)
            try await session.users.setPasswordHash(user.userID, hash, at: now)
            try await session.users.deleteTokens(userID: user.userID)
        }
    }

    /// Lifts the login lockout of a user (admin).
    public func unlock(_ userID: String, by principal: Principal) async throws -> UserRecord {
        try principal.ensureAdmin()
        return try await administer(userID, by: principal, action: "user.unlock", allowSelf: true) { session, user, _ in
            try await session.loginThrottles.clear("user:" + user.userID)
        }
    }

    /// A user changes their own password; every other session of theirs ends.
    public func changePassword(by principal: Principal, currentToken: String, current: String, new password: String) async throws {
        guard let found = try await context.database.read({ try await $0.users.find(principal.userID) }) else { throw ServiceError.forbidden }
        guard try hasher.verify(PasswordPolicy.bcryptInput(current), against: found.passwordHash) else {
            throw ServiceError(.forbidden, code: "invalid_credentials", message: "current_password is wrong", field: "current_password")
        }
        try PasswordPolicy.check(password, userID: principal.userID, field: "new_password")
        guard password != current else { throw ServiceError.invalid("new_password", "new_password must differ from the current one") }
        let hash = try hasher.hash(PasswordPolicy.bcryptInput(password))
        let now = context.clock.now()
        try await context.database.write { session in
            try await session.users.setPasswordHash(principal.userID, hash, at: now)
            try await session.users.deleteTokens(userID: principal.userID, except: Self.digest(currentToken))
            try await session.audit("user.change_password", actor: principal.userID, entityType: "user", entityID: principal.userID, clientID: nil, at: now)
        }
    }

    /// Staff manage client logins; only admins manage staff logins. Runs `change` and audits it in one transaction.
    private func administer(_ userID: String, by principal: Principal, action: String, allowSelf: Bool = false,
                            _ change: @escaping @Sendable (Session, UserRecord, Date) async throws -> Void) async throws -> UserRecord {
        let isSelf = userID.lowercased() == principal.userID.lowercased()
        if !(allowSelf && isSelf) { try principal.ensureStaff() }
        let now = context.clock.now()
        return try await context.database.write { session in
            guard let user = try await session.users.find(folded: userID)?.user else { throw ServiceError.notFound("user \(userID)", field: "user_id") }
            if user.role.isStaff, !(allowSelf && isSelf) { try principal.ensureAdmin() }
            try await change(session, user, now)
            try await session.audit(action, actor: principal.userID, entityType: "user", entityID: user.userID, clientID: nil, at: now)
            guard let updated = try await session.users.find(user.userID)?.user else { throw ServiceError.notFound("user \(userID)") }
            return updated
        }
    }

    /// Creates the first admin when there is none. Returns the generated password when one was made up,
    /// so the caller can show it once.
    public func bootstrapAdmin(password configured: String?) async throws -> String? {
        if try await context.database.read({ try await $0.users.find("admin") }) != nil { return nil }
        let password = configured ?? Self.randomToken().prefix(20).description
        try PasswordPolicy.check(password, userID: "admin", field: "KEEL_ADMIN_PASSWORD")
        let hash = try hasher.hash(PasswordPolicy.bcryptInput(password))
        let now = context.clock.now()
        try await context.database.write { session in
            _ = try await session.users.create(userID: "admin", passwordHash: hash, role: .admin, displayName: "Administrator", at: now)
            try await session.audit("user.bootstrap_admin", actor: "system", entityType: "user", entityID: "admin", clientID: nil, at: now)
        }
        return configured == nil ? password : nil
    }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        Digest.sha256(token)
    }
}
