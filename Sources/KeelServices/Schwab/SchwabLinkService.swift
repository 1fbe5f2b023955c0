import Foundation
import KeelBrokers
import KeelCore
import KeelStore

public struct SchwabLinkStatus: Sendable {
    public var clientID: Int
    public var linked: Bool
    public var connected: Bool
    public var accessExpiresAt: Date?
    public var refreshExpiresAt: Date?
    public var grantedAt: Date?
    public var lastRefreshedAt: Date?
    public var lastError: String?
    public var accounts: [AccountRecord]
    public var alerts: [AlertRecord]
}

/// Linking a client's Schwab login: the authorize URL with a single-use state bound to the client, the
/// callback that exchanges the code and links every account of the login, and the link's status.
public struct SchwabLinkService: Sendable {
    let context: ServiceContext
    public let client: SchwabClient
    public let tokens: SchwabTokenManager
    public let broker: SchwabBroker
    public let sync: SchwabAccountSync
    /// How long a user has to finish the Schwab login.
    public var stateLifetime: TimeInterval = 600

    public init(context: ServiceContext, client: SchwabClient, tokens: SchwabTokenManager, broker: SchwabBroker) {
        self.context = context
        self.client = client
        self.tokens = tokens
        self.broker = broker
        self.sync = SchwabAccountSync(context: context, broker: broker)
    }

    public func authorizationURL(clientID: Int, by principal: Principal) async throws -> (url: URL, expiresAt: Date) {
        try principal.ensureAccess(toClient: clientID)
        let now = context.clock.now()
        let state = AuthService.randomToken()
        let expires = now.addingTimeInterval(stateLifetime)
        try await context.database.write { session in
            guard let client = try await session.clients.find(clientID) else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            guard client.status == .active else { throw ServiceError.conflict("client_inactive", "client \(clientID) is deactivated", field: "client_id") }
            try await session.schwabLinks.saveState(state, clientID: clientID, by: principal.userID, at: now, expiresAt: expires)
        }
        return (client.authorizeURL(state: state), expires)
    }

    /// Finishes a login: the state is consumed once, the code exchanged, and every account of the login
    /// linked to the state's client (or reconnected) with its cash and positions synced from Schwab.
    public func completeLogin(code: String?, state: String?) async throws -> SchwabLinkStatus {
        guard let state, !state.isEmpty else { throw ServiceError.invalid("state", "state is missing from the callback") }
        guard let code, !code.isEmpty else { throw ServiceError.invalid("code", "code is missing from the callback") }
        let now = context.clock.now()
        guard let clientID = try await context.database.write({ try await $0.schwabLinks.consumeState(state, at: now) }) else {
            throw ServiceError(.badRequest, code: "invalid_state", message: "the login state is unknown, already used or expired; start the Schwab login again", field: "state")
        }
        let issued: SchwabTokenResponse
        do {
            issued = try await client.exchangeCode(code)
        } catch let error as SchwabError {
            throw ServiceError(.badRequest, code: "schwab_code_rejected", message: "Schwab did not accept the authorization code: \(error)", field: "code")
        }
        try await tokens.store(clientID: clientID, tokens: issued)
        let numbers: [SchwabAccountNumber]
        let details: [SchwabAccount]
        do {
            numbers = try await client.accountNumbers(accessToken: issued.accessToken)
            details = try await client.accounts(accessToken: issued.accessToken, positions: false)
        } catch let error as SchwabError {
            throw ServiceError(.unavailable, code: "schwab_unavailable", message: "logged in, but Schwab did not list the accounts: \(error)")
        }
        let linked = try await context.database.write { session -> [AccountRecord] in
            var out: [AccountRecord] = []
            for number in numbers {
                if let existing = try await session.accounts.find(hash: number.hashValue) {
                    guard existing.clientID == clientID else {
                        throw ServiceError.conflict("account_linked_elsewhere", "Schwab account ...\(number.accountNumber.suffix(3)) is already linked to another client")
                    }
                    try await session.accounts.setStatus(hash: existing.accountHash, status: .active, at: now)
                    out.append(existing)
                    continue
                }
                let type = details.first { $0.securitiesAccount.accountNumber.value == number.accountNumber }?.securitiesAccount.type.lowercased() ?? "individual"
                let account = try await session.accounts.create(NewAccount(
                    accountHash: number.hashValue, clientID: clientID, brokerageID: AccountService.schwabBrokerageID,
                    accountNumber: number.accountNumber, accountType: type, nickname: nil, cash: 0, createdAt: now))
                try await session.audit("account.link", actor: "schwab", entityType: "account", entityID: number.hashValue, clientID: clientID,
                                        at: now, details: ["brokerage": "schwab"])
                out.append(account)
            }
            return out
        }
        try await SplitLedger.applyDue(context: context)
        for account in linked { try await sync.sync(account) }
        return try await status(clientID: clientID)
    }

    public func status(clientID: Int, by principal: Principal) async throws -> SchwabLinkStatus {
        try principal.ensureAccess(toClient: clientID)
        return try await status(clientID: clientID)
    }

    func status(clientID: Int) async throws -> SchwabLinkStatus {
        try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            let token = try await session.schwabLinks.token(clientID: clientID)
            let accounts = try await session.accounts.list(clientID: clientID).filter { $0.brokerage.code == "schwab" }
            return SchwabLinkStatus(clientID: clientID, linked: token != nil, connected: token?.status == .connected,
                                    accessExpiresAt: token?.accessExpiresAt, refreshExpiresAt: token?.refreshExpiresAt, grantedAt: token?.grantedAt,
                                    lastRefreshedAt: token?.lastRefreshedAt, lastError: token?.lastError, accounts: accounts,
                                    alerts: try await session.alerts.list(clientID: clientID, openOnly: true))
        }
    }

    /// Re-reads every Schwab account of the client from Schwab into Keel's books.
    public func syncAccounts(clientID: Int, by principal: Principal) async throws -> SchwabLinkStatus {
        try principal.ensureStaff()
        let accounts = try await context.database.read { try await $0.accounts.list(clientID: clientID) }.filter { $0.brokerage.code == "schwab" && $0.status == .active }
        try await SplitLedger.applyDue(context: context)
        for account in accounts { try await sync.sync(account) }
        return try await status(clientID: clientID)
    }
}
