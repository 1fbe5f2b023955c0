import Foundation
import KeelCore
import KeelStore

/// Onboarding and upkeep of client records. A new client starts with preferences, so every later
/// workflow (rebalance, health) finds a complete client.
public struct ClientService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    /// The client's audit trail (staff).
    public func audit(clientID: Int, by principal: Principal) async throws -> [AuditEntry] {
        try principal.ensureStaff()
        return try await context.database.read { try await $0.operations.audit(clientID: clientID) }
    }

    public func create(_ input: ClientInput, by principal: Principal) async throws -> ClientRecord {
        try principal.ensureStaff()
        let now = context.clock.now()
        let firstName = try FieldValidation.requiredText(input.firstName, field: "first_name")
        let lastName = try FieldValidation.requiredText(input.lastName, field: "last_name")
        let email = try FieldValidation.email(input.email)
        let phone = try FieldValidation.phone(input.phone)
        let dateOfBirth = try FieldValidation.dateOfBirth(input.dateOfBirth, now: now)
        let risk = try FieldValidation.oneOf(input.riskTolerance ?? "moderate", ClientInput.riskTolerances, field: "risk_tolerance")
        let horizon = try input.investmentHorizonYears.map { try FieldValidation.range($0, 1...100, field: "investment_horizon_years") }
        let portfolioID = input.portfolioID ?? ClientInput.defaultPortfolio(for: risk)
        let record = ClientRecord(firstName: firstName, lastName: lastName, email: email, phone: phone, dateOfBirth: dateOfBirth,
                                  riskTolerance: risk, investmentHorizonYears: horizon, status: .active, userID: input.userID,
                                  createdBy: principal.userID, createdAt: now, updatedAt: now)
        do {
            return try await context.database.write { session in
                if try await session.clients.find(email: email) != nil {
                    throw ServiceError.conflict("duplicate_email", "a client with email \(email) already exists", field: "email")
                }
                guard try await session.referenceData.modelPortfolio(portfolioID) != nil else {
                    throw ServiceError(.notFound, code: "not_found", message: "model portfolio \(portfolioID) not found", field: "portfolio_id")
                }
                if let userID = input.userID { try await Self.checkLinkableUser(userID, session: session) }
                let client = try await session.clients.create(record)
                try await session.preferences.save(PreferencesDefaults.make(clientID: client.clientID, portfolioID: portfolioID,
                                                                             by: principal.userID, at: now))
                try await session.audit("client.create", actor: principal.userID, entityType: "client", entityID: String(client.clientID),
                                        clientID: client.clientID, at: now, details: ["email": email, "portfolio_id": String(portfolioID)])
                return client
            }
        } catch StoreError.duplicate {
            throw ServiceError.conflict("duplicate_email", "a client with email \(email) already exists", field: "email")
        }
    }

    public func get(_ clientID: Int, by principal: Principal) async throws -> ClientRecord {
        try principal.ensureAccess(toClient: clientID)
        let found = try await context.readCache.value(.client(clientID: clientID), maxAge: Self.cachedReadLifetime,
                                                       database: context.database, now: context.clock.now(), keep: { $0 != nil }) {
            try await context.database.read { try await $0.clients.find(clientID) }
        }
        guard let client = found else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
        return client
    }

    /// How long a client read may be reused while nothing is written.
    static let cachedReadLifetime: TimeInterval = 30

    public func list(status: ClientStatus?, limit: Int, offset: Int, by principal: Principal) async throws -> [ClientRecord] {
        if !principal.role.isStaff {
            guard let own = principal.clientID else { return [] }
            return [try await get(own, by: principal)]
        }
        let limit = try FieldValidation.range(limit, 1...500, field: "limit")
        let offset = try FieldValidation.range(offset, 0...Int(Int32.max), field: "offset")
        return try await context.database.read { try await $0.clients.list(status: status, limit: limit, offset: offset) }
    }

    public func update(_ clientID: Int, with input: ClientInput, by principal: Principal) async throws -> ClientRecord {
        try principal.ensureStaff()
        guard !input.isEmpty else {
            throw ServiceError(.validation, code: "no_fields", message: "the body names no client field to change; use \(ClientInput.updatableFields)")
        }
        let now = context.clock.now()
        do {
            return try await context.database.write { session in
                guard var client = try await session.clients.find(clientID) else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
                if input.firstName != nil { client.firstName = try FieldValidation.requiredText(input.firstName, field: "first_name") }
                if input.lastName != nil { client.lastName = try FieldValidation.requiredText(input.lastName, field: "last_name") }
                if input.email != nil {
                    let email = try FieldValidation.email(input.email)
                    if email != client.email, try await session.clients.find(email: email) != nil {
                        throw ServiceError.conflict("duplicate_email", "a client with email \(email) already exists", field: "email")
                    }
                    client.email = email
                }
                if input.phone != nil { client.phone = try FieldValidation.phone(input.phone) }
                if input.dateOfBirth != nil { client.dateOfBirth = try FieldValidation.dateOfBirth(input.dateOfBirth, now: now) }
                if let risk = input.riskTolerance {
                    client.riskTolerance = try FieldValidation.oneOf(risk, ClientInput.riskTolerances, field: "risk_tolerance")
                }
                if let horizon = input.investmentHorizonYears {
                    client.investmentHorizonYears = try FieldValidation.range(horizon, 1...100, field: "investment_horizon_years")
                }
                if let userID = input.userID, userID != client.userID {
                    try await Self.checkLinkableUser(userID, session: session)
                    client.userID = userID
                }
                client.updatedAt = now
                let updated = try await session.clients.update(client)
                try await session.audit("client.update", actor: principal.userID, entityType: "client", entityID: String(clientID),
                                        clientID: clientID, at: now)
                return updated
            }
        } catch StoreError.duplicate {
            throw ServiceError.conflict("duplicate", "email or user is already used by another client")
        }
    }

    /// Deactivation keeps every record (history, positions) but stops new batches for the client.
    public func setStatus(_ clientID: Int, to status: ClientStatus, by principal: Principal) async throws -> ClientRecord {
        try principal.ensureStaff()
        let now = context.clock.now()
        return try await context.database.write { session in
            guard var client = try await session.clients.find(clientID) else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            client.status = status
            client.updatedAt = now
            let updated = try await session.clients.update(client)
            // A deactivated client's login is signed out everywhere (and refused at login while deactivated).
            if status != .active, let login = client.userID { try await session.users.deleteTokens(userID: login) }
            try await session.audit(status == .active ? "client.reactivate" : "client.deactivate", actor: principal.userID,
                                    entityType: "client", entityID: String(clientID), clientID: clientID, at: now)
            return updated
        }
    }

    /// Removes a client and, by cascade, everything that belongs to it. Admin only: it erases history.
    public func delete(_ clientID: Int, by principal: Principal) async throws {
        try principal.ensureAdmin()
        let now = context.clock.now()
        try await context.database.write { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            try await session.clients.delete(clientID)
            try await session.audit("client.delete", actor: principal.userID, entityType: "client", entityID: String(clientID),
                                    clientID: clientID, at: now)
        }
    }

    static func checkLinkableUser(_ userID: String, session: Session) async throws {
        guard let user = try await session.users.find(userID)?.user else {
            throw ServiceError(.notFound, code: "not_found", message: "user \(userID) not found", field: "user_id")
        }
        guard user.role == .client else { throw ServiceError.invalid("user_id", "only a user with role client can be linked to a client") }
        if try await session.clients.find(userID: userID) != nil {
            throw ServiceError.conflict("user_already_linked", "user \(userID) is already linked to another client", field: "user_id")
        }
    }
}
