import Foundation
import KeelBrokers
import KeelCore
import KeelStore

/// Keeps every client's Schwab login usable: hands out access tokens, refreshes them before they expire
/// with one refresh per login at a time however many requests need it, watches the 7-day limit (alert a
/// day before), and turns a failed refresh into a `disconnected` link instead of an error storm.
public actor SchwabTokenManager: SchwabAccessTokens {
    let context: ServiceContext
    let client: SchwabClient
    let box: SecretBox
    /// Refresh this long before the access token's expiry (schwab-py uses five minutes too).
    let refreshLeeway: TimeInterval = 300
    private var inFlight: [Int: Task<String, any Error>] = [:]

    public init(context: ServiceContext, client: SchwabClient, box: SecretBox) {
        self.context = context
        self.client = client
        self.box = box
    }

    public static let expiringAlert = "schwab_refresh_expiring"
    public static let disconnectedAlert = "schwab_disconnected"

    /// Stores the tokens of a fresh login (a new lineage: the 7-day clock starts now).
    public func store(clientID: Int, tokens: SchwabTokenResponse) async throws {
        guard let refresh = tokens.refreshToken else { throw ServiceError(.unavailable, code: "schwab_no_refresh_token", message: "Schwab sent no refresh token") }
        let now = context.clock.now()
        let record = OAuthTokenRecord(clientID: clientID, accessTokenSealed: try box.seal(tokens.accessToken), refreshTokenSealed: try box.seal(refresh),
                                      accessExpiresAt: now.addingTimeInterval(TimeInterval(tokens.expiresIn)),
                                      refreshExpiresAt: now.addingTimeInterval(7 * 86_400), grantedAt: now, lastRefreshedAt: nil,
                                      status: .connected, lastError: nil, updatedAt: now)
        inFlight[clientID] = nil
        try await context.database.write { session in
            try await session.schwabLinks.saveToken(record)
            try await session.alerts.resolve(kinds: [Self.expiringAlert, Self.disconnectedAlert], clientID: clientID, at: now)
            try await session.audit("schwab.login", actor: "schwab", entityType: "client", entityID: String(clientID), clientID: clientID, at: now)
        }
    }

    public func accessToken(forAccount accountHash: String) async throws -> String {
        guard let account = try await context.database.read({ try await $0.accounts.find(hash: accountHash) }) else {
            throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
        }
        return try await accessToken(clientID: account.clientID)
    }

    /// A valid access token for the client's login, refreshing it first when it is about to expire.
    /// Every caller arriving while one lookup-or-refresh runs for the login awaits that same task, so many
    /// concurrent requests cause one refresh (the actor's awaits would otherwise let each start its own).
    public func accessToken(clientID: Int) async throws -> String {
        if let running = inFlight[clientID] { return try await running.value }
        let task = Task { try await self.currentOrRefreshedToken(clientID: clientID) }
        inFlight[clientID] = task
        defer { if inFlight[clientID] == task { inFlight[clientID] = nil } }
        return try await task.value
    }

    private func currentOrRefreshedToken(clientID: Int) async throws -> String {
        guard let record = try await context.database.read({ try await $0.schwabLinks.token(clientID: clientID) }) else {
            throw ServiceError(.conflict, code: "schwab_not_linked", message: "client \(clientID) has no Schwab login; link it first")
        }
        guard record.status == .connected else {
            throw ServiceError(.conflict, code: "schwab_disconnected", message: "the Schwab login of client \(clientID) is disconnected; log in again")
        }
        let now = context.clock.now()
        try await watchExpiry(record, now: now)
        if record.accessExpiresAt.timeIntervalSince(now) > refreshLeeway { return try box.open(record.accessTokenSealed) }
        return try await refresh(record)
    }

    private func refresh(_ record: OAuthTokenRecord) async throws -> String {
        let now = context.clock.now()
        guard now < record.refreshExpiresAt else {
            try await disconnect(record, reason: "the 7-day Schwab login expired at \(record.refreshExpiresAt)")
            throw ServiceError(.conflict, code: "schwab_disconnected", message: "the Schwab login of client \(record.clientID) expired; log in again")
        }
        do {
            let tokens = try await client.refresh(refreshToken: try box.open(record.refreshTokenSealed))
            var updated = record
            updated.accessTokenSealed = try box.seal(tokens.accessToken)
            if let refresh = tokens.refreshToken { updated.refreshTokenSealed = try box.seal(refresh) }
            updated.accessExpiresAt = now.addingTimeInterval(TimeInterval(tokens.expiresIn))
            updated.lastRefreshedAt = now
            updated.lastError = nil
            updated.updatedAt = now
            let saved = updated
            try await context.database.write { try await $0.schwabLinks.saveToken(saved) }
            KeelMetrics.schwabRefresh(succeeded: true)
            return tokens.accessToken
        } catch let error as SchwabError {
            KeelMetrics.schwabRefresh(succeeded: false)
            if case .refreshTokenRejected(let reason) = error {
                try await disconnect(record, reason: reason)
                throw ServiceError(.conflict, code: "schwab_disconnected", message: "Schwab refused the refresh token of client \(record.clientID); log in again")
            }
            // Schwab unreachable or erring: the link stays, the caller sees a temporary failure.
            throw ServiceError(.unavailable, code: "schwab_unavailable", message: "Schwab did not refresh the login: \(error)")
        }
    }

    /// Marks the login and its accounts disconnected (no new orders; everything else kept) and raises an alert.
    private func disconnect(_ record: OAuthTokenRecord, reason: String) async throws {
        let now = context.clock.now()
        var updated = record
        updated.status = .disconnected
        updated.lastError = reason
        updated.updatedAt = now
        let saved = updated
        let settings = context.settings
        try await context.database.write { session in
            try await session.schwabLinks.saveToken(saved)
            for account in try await session.accounts.list(clientID: record.clientID) where account.brokerage.code == "schwab" {
                try await session.accounts.setStatus(hash: account.accountHash, status: .disconnected, at: now)
            }
            try await AlertOutbox.raise(NewAlert(kind: Self.disconnectedAlert, severity: "critical", clientID: record.clientID,
                                                 message: "Schwab login of client \(record.clientID) is disconnected: \(reason). Log in again to resume trading."),
                                        session: session, settings: settings, at: now)
            try await session.audit("schwab.disconnected", actor: "schwab", entityType: "client", entityID: String(record.clientID),
                                    clientID: record.clientID, at: now, details: ["reason": String(reason.prefix(300))])
        }
        context.logger.warning("Schwab login of client \(record.clientID) disconnected: \(reason)")
    }

    /// Raises the "log in again within a day" alert once the 7-day limit is less than 24 hours away.
    private func watchExpiry(_ record: OAuthTokenRecord, now: Date) async throws {
        guard record.refreshExpiresAt.timeIntervalSince(now) < 86_400 else { return }
        let settings = context.settings
        _ = try await context.database.write { session in
            try await AlertOutbox.raise(NewAlert(kind: Self.expiringAlert, severity: "warning", clientID: record.clientID,
                                                 message: "The Schwab login of client \(record.clientID) ends at \(record.refreshExpiresAt); log in again before then."),
                                        session: session, settings: settings, at: now)
        }
    }

    /// Checks every login's deadlines (run on a timer): alerts before the 7-day end, disconnects after it.
    public func watchAll() async throws {
        let now = context.clock.now()
        for record in try await context.database.read({ try await $0.schwabLinks.tokens() }) where record.status == .connected {
            if now >= record.refreshExpiresAt {
                try await disconnect(record, reason: "the 7-day Schwab login expired at \(record.refreshExpiresAt)")
            } else {
                try await watchExpiry(record, now: now)
            }
        }
    }
}
