import Foundation
import KeelCore
import KeelStore

/// Links brokerage accounts to clients. A paper account opens funded at the paper broker in the same
/// transaction; a Schwab account starts disconnected until its OAuth link is completed.
public struct AccountService: Sendable {
    public static let paperBrokerageID = 2
    public static let schwabBrokerageID = 1

    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    /// The brokerages an account can be linked at (any signed-in login).
    public func brokerages(by principal: Principal) async throws -> [BrokerageRecord] {
        try await context.database.read { try await $0.accounts.brokerages() }
    }

    /// The model portfolios a client's preferences can follow (any signed-in login).
    public func modelPortfolios(by principal: Principal) async throws -> [ModelPortfolioDefinition] {
        try await context.database.read { try await $0.referenceData.modelPortfolios() }
    }

    public func link(_ input: AccountLinkInput, by principal: Principal) async throws -> AccountRecord {
        try principal.ensureStaff()
        guard let clientID = input.clientID else { throw ServiceError.invalid("client_id", "client_id is required") }
        guard let brokerageID = input.brokerageID else { throw ServiceError.invalid("brokerage_id", "brokerage_id is required") }
        let accountType = try Self.accountType(input.accountType)
        let nickname = try input.nickname.map { try FieldValidation.requiredText($0, field: "nickname", maxLength: 60) }
        let isPaper = brokerageID == Self.paperBrokerageID
        let accountNumber = try input.accountNumber.map { try Self.accountNumber($0) }
            ?? (isPaper ? "PAPER-" + String(UUID().uuidString.prefix(8)) : nil)
        guard let accountNumber else { throw ServiceError.invalid("account_number", "account_number is required") }
        let accountHash = try input.accountHash.map { try Self.accountHash($0) }
            ?? (isPaper ? "paper-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "") : nil)
        guard let accountHash else { throw ServiceError.invalid("account_hash", "account_hash is required for a Schwab account") }
        if !isPaper, input.startingCash != nil {
            throw ServiceError.invalid("starting_cash", "starting_cash applies to paper accounts only; a Schwab account's cash comes from Schwab")
        }
        _ = try FieldValidation.ledger(input.startingCash?.roundedToCents, field: "starting_cash", range: LedgerLimits.money, scale: 2)
        let startingCash = (input.startingCash ?? context.settings.defaultPaperCash).roundedToCents
        if isPaper {
            guard startingCash > 0, startingCash <= 1_000_000_000 else {
                throw ServiceError.invalid("starting_cash", "starting_cash must be above 0 and at most 1,000,000,000")
            }
        }
        let now = context.clock.now()
        do {
            return try await context.database.write { session in
                guard let client = try await session.clients.find(clientID) else {
                    throw ServiceError.notFound("client \(clientID)", field: "client_id")
                }
                guard client.status == .active else {
                    throw ServiceError.conflict("client_inactive", "client \(clientID) is deactivated; reactivate it before linking accounts", field: "client_id")
                }
                guard let brokerage = try await session.accounts.brokerage(brokerageID) else {
                    throw ServiceError.notFound("brokerage \(brokerageID)", field: "brokerage_id")
                }
                if try await session.accounts.find(hash: accountHash) != nil {
                    throw ServiceError.conflict("duplicate_account_hash", "an account with hash \(accountHash) is already linked", field: "account_hash")
                }
                if try await session.accounts.find(brokerageID: brokerageID, accountNumber: accountNumber) != nil {
                    throw ServiceError.conflict("duplicate_account_number", "account \(accountNumber) at \(brokerage.code) is already linked", field: "account_number")
                }
                var account = try await session.accounts.create(NewAccount(
                    accountHash: accountHash, clientID: clientID, brokerageID: brokerageID, accountNumber: accountNumber,
                    accountType: accountType, nickname: nickname, cash: isPaper ? startingCash : 0, createdAt: now))
                if isPaper {
                    try await session.paperBroker.openAccount(accountID: accountHash, openingCash: startingCash, at: now)
                } else {
                    try await session.accounts.setStatus(hash: accountHash, status: .disconnected, at: now)
                    account.status = .disconnected
                }
                try await session.audit("account.link", actor: principal.userID, entityType: "account", entityID: accountHash,
                                        clientID: clientID, at: now,
                                        details: ["brokerage": brokerage.code, "starting_cash": isPaper ? startingCash.description : "0"])
                return account
            }
        } catch StoreError.duplicate {
            throw ServiceError.conflict("duplicate_account", "this account is already linked", field: "account_hash")
        }
    }

    public func list(clientID: Int, by principal: Principal) async throws -> [AccountRecord] {
        try principal.ensureAccess(toClient: clientID)
        return try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            return try await session.accounts.list(clientID: clientID)
        }
    }

    public func get(accountHash: String, by principal: Principal) async throws -> AccountRecord {
        guard let account = try await context.database.read({ try await $0.accounts.find(hash: accountHash) }) else {
            throw ServiceError.notFound("account \(accountHash)", field: "account_hash")
        }
        try principal.ensureAccess(toClient: account.clientID)
        return account
    }

    static func accountType(_ value: String?) throws -> String {
        let text = try FieldValidation.requiredText(value, field: "account_type", maxLength: 40).lowercased()
        guard text.allSatisfy({ $0.isLetter || $0 == "_" }) else {
            throw ServiceError.invalid("account_type", "account_type must be a word such as individual, joint, ira, cash or margin")
        }
        return text
    }

    static func accountNumber(_ value: String) throws -> String {
        let text = try FieldValidation.requiredText(value, field: "account_number", maxLength: 40)
        guard text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw ServiceError.invalid("account_number", "account_number may contain letters, digits and '-' only")
        }
        return text
    }

    static func accountHash(_ value: String) throws -> String {
        let text = try FieldValidation.requiredText(value, field: "account_hash", maxLength: 128)
        guard text.count >= 8, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ServiceError.invalid("account_hash", "account_hash must be 8-128 letters, digits, '-' or '_'")
        }
        return text
    }
}
