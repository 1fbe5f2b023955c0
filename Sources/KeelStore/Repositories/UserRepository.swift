import FluentKit
import Foundation
import SQLKit

public enum UserRole: String, Sendable, Codable, CaseIterable {
    case admin, advisor, client

    /// Advisors and admins manage clients, accounts and batches.
    public var isStaff: Bool { self != .client }
}

public struct UserRecord: Sendable, Hashable {
    public var userID: String
    public var role: UserRole
    public var displayName: String
    public var active: Bool
    public var createdAt: Date
}

public struct UserRepository: Sendable {
    let database: any Database

    public func find(_ userID: String) async throws -> (user: UserRecord, passwordHash: String)? {
        guard let model = try await UserModel.find(userID, on: database) else { return nil }
        return (try Self.record(model), model.passwordHash)
    }

    /// The user whose id equals `userID` ignoring case (ids are unique that way, see M016).
    public func find(folded userID: String) async throws -> (user: UserRecord, passwordHash: String)? {
        if let exact = try await find(userID) { return exact }
        let sql = database as! any SQLDatabase
        guard let row = try await sql.raw("SELECT user_id FROM users WHERE lower(user_id) = \(bind: userID.lowercased())").first() else { return nil }
        return try await find(try row.decode(column: "user_id", as: String.self))
    }

    public func setRole(_ userID: String, _ role: UserRole, at now: Date) async throws {
        try await UserModel.query(on: database).filter(\.$id == userID).set(\.$role, to: role.rawValue).set(\.$updatedAt, to: now).update()
    }

    public func setPasswordHash(_ userID: String, _ hash: String, at now: Date) async throws {
        try await UserModel.query(on: database).filter(\.$id == userID).set(\.$passwordHash, to: hash).set(\.$updatedAt, to: now).update()
    }

    /// Ends every session of the user (all bearer tokens), optionally keeping one.
    public func deleteTokens(userID: String, except keptHash: String? = nil) async throws {
        var query = UserTokenModel.query(on: database).filter(\.$user.$id == userID)
        if let keptHash { query = query.filter(\.$id != keptHash) }
        try await query.delete()
    }

    public func create(userID: String, passwordHash: String, role: UserRole, displayName: String, at now: Date) async throws -> UserRecord {
        let model = UserModel()
        model.id = userID
        model.passwordHash = passwordHash
        model.role = role.rawValue
        model.displayName = displayName
        model.active = true
        model.createdAt = now
        model.updatedAt = now
        try await model.create(on: database)
        return try Self.record(model)
    }

    public func list() async throws -> [UserRecord] {
        try await UserModel.query(on: database).sort(\.$id).all().map(Self.record)
    }

    public func count() async throws -> Int {
        try await UserModel.query(on: database).count()
    }

    public func setActive(_ userID: String, _ active: Bool, at now: Date) async throws {
        try await UserModel.query(on: database).filter(\.$id == userID)
            .set(\.$active, to: active).set(\.$updatedAt, to: now).update()
    }

    public func saveToken(hash: String, userID: String, expiresAt: Date, at now: Date) async throws {
        let token = UserTokenModel()
        token.id = hash
        token.$user.id = userID
        token.expiresAt = expiresAt
        token.createdAt = now
        try await token.create(on: database)
    }

    /// The user behind a token hash and when the token expires.
    public func findToken(hash: String) async throws -> (user: UserRecord, expiresAt: Date)? {
        guard let token = try await UserTokenModel.query(on: database).filter(\.$id == hash).with(\.$user).first() else { return nil }
        return (try Self.record(token.user), token.expiresAt)
    }

    public func deleteToken(hash: String) async throws {
        try await UserTokenModel.query(on: database).filter(\.$id == hash).delete()
    }

    public func deleteExpiredTokens(before now: Date) async throws {
        try await UserTokenModel.query(on: database).filter(\.$expiresAt < now).delete()
    }

    static func record(_ model: UserModel) throws -> UserRecord {
        guard let role = UserRole(rawValue: model.role) else { throw StoreError.corrupt("user \(model.id ?? "?") has role '\(model.role)'") }
        return UserRecord(userID: model.id ?? "", role: role, displayName: model.displayName, active: model.active, createdAt: model.createdAt)
    }
}

extension Session {
    public var users: UserRepository { UserRepository(database: database) }
}
