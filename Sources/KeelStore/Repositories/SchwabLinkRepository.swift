import FluentKit
import Foundation
import SQLKit

public enum LinkStatus: String, Sendable, Codable {
    case connected, disconnected
}

/// A client's Schwab login: tokens as stored (already encrypted by the caller) and their deadlines.
public struct OAuthTokenRecord: Sendable, Hashable {
    public var clientID: Int
    public var accessTokenSealed: String
    public var refreshTokenSealed: String
    public var accessExpiresAt: Date
    /// Seven days after the first grant; refreshing does not move it.
    public var refreshExpiresAt: Date
    public var grantedAt: Date
    public var lastRefreshedAt: Date?
    public var status: LinkStatus
    public var lastError: String?
    public var updatedAt: Date

    public init(clientID: Int, accessTokenSealed: String, refreshTokenSealed: String, accessExpiresAt: Date, refreshExpiresAt: Date,
                grantedAt: Date, lastRefreshedAt: Date?, status: LinkStatus, lastError: String?, updatedAt: Date) {
        self.clientID = clientID
        self.accessTokenSealed = accessTokenSealed
        self.refreshTokenSealed = refreshTokenSealed
        self.accessExpiresAt = accessExpiresAt
        self.refreshExpiresAt = refreshExpiresAt
        self.grantedAt = grantedAt
        self.lastRefreshedAt = lastRefreshedAt
        self.status = status
        self.lastError = lastError
        self.updatedAt = updatedAt
    }
}

public struct SchwabLinkRepository: Sendable {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    public func token(clientID: Int) async throws -> OAuthTokenRecord? {
        guard let row = try await sql.select().column("*").from("oauth_tokens").where("client_id", .equal, clientID).first() else { return nil }
        return OAuthTokenRecord(clientID: clientID, accessTokenSealed: try row.decode(column: "access_token", as: String.self),
                                refreshTokenSealed: try row.decode(column: "refresh_token", as: String.self),
                                accessExpiresAt: try row.decode(column: "access_expires_at", as: Date.self),
                                refreshExpiresAt: try row.decode(column: "refresh_expires_at", as: Date.self),
                                grantedAt: try row.decode(column: "granted_at", as: Date.self),
                                lastRefreshedAt: try row.decode(column: "last_refreshed_at", as: Date?.self),
                                status: LinkStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .disconnected,
                                lastError: try row.decode(column: "last_error", as: String?.self),
                                updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    public func saveToken(_ token: OAuthTokenRecord) async throws {
        try await sql.delete(from: "oauth_tokens").where("client_id", .equal, token.clientID).run()
        try await sql.insert(into: "oauth_tokens")
            .columns("client_id", "provider", "access_token", "refresh_token", "access_expires_at", "refresh_expires_at", "granted_at",
                     "last_refreshed_at", "status", "last_error", "updated_at")
            .values(SQLBind(token.clientID), SQLBind("schwab"), SQLBind(token.accessTokenSealed), SQLBind(token.refreshTokenSealed),
                    SQLBind(token.accessExpiresAt), SQLBind(token.refreshExpiresAt), SQLBind(token.grantedAt), SQLBind(token.lastRefreshedAt),
                    SQLBind(token.status.rawValue), SQLBind(token.lastError), SQLBind(token.updatedAt))
            .run()
    }

    /// Every linked login, for the expiry watch.
    public func tokens() async throws -> [OAuthTokenRecord] {
        let ids = try await sql.select().column("client_id").from("oauth_tokens").all().map { try $0.decode(column: "client_id", as: Int.self) }
        var out: [OAuthTokenRecord] = []
        for id in ids { if let token = try await token(clientID: id) { out.append(token) } }
        return out
    }

    public func saveState(_ state: String, clientID: Int, by actor: String, at now: Date, expiresAt: Date) async throws {
        try await sql.insert(into: "oauth_states").columns("state", "client_id", "created_by", "created_at", "expires_at")
            .values(SQLBind(state), SQLBind(clientID), SQLBind(actor), SQLBind(now), SQLBind(expiresAt)).run()
    }

    /// Marks a state used and returns its client; nil when it is unknown, used or expired. One statement,
    /// so a state can be consumed once even by two simultaneous callbacks.
    public func consumeState(_ state: String, at now: Date) async throws -> Int? {
        let rows = try await sql.update("oauth_states").set("used_at", to: now)
            .where("state", .equal, state).where("used_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .returning("client_id").all()
        return try rows.first?.decode(column: "client_id", as: Int.self)
    }
}

extension Session {
    public var schwabLinks: SchwabLinkRepository { SchwabLinkRepository(database: database) }
}
