import Foundation
import KeelCore
import KeelStore

public struct PreferencesService: Sendable {
    let context: ServiceContext

    public init(context: ServiceContext) {
        self.context = context
    }

    public func get(clientID: Int, by principal: Principal) async throws -> PreferencesRecord {
        try principal.ensureAccess(toClient: clientID)
        return try await context.database.read { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            guard let preferences = try await session.preferences.find(clientID: clientID) else {
                throw ServiceError.notFound("preferences of client \(clientID)")
            }
            return preferences
        }
    }

    public func update(clientID: Int, with input: PreferencesInput, by principal: Principal) async throws -> PreferencesRecord {
        try principal.ensureStaff()
        guard !input.isEmpty else {
            throw ServiceError(.validation, code: "no_fields", message: "the body names no preference to change; use \(PreferencesInput.fields)")
        }
        let now = context.clock.now()
        return try await context.database.write { session in
            guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
            var preferences = try await session.preferences.find(clientID: clientID)
                ?? PreferencesDefaults.make(clientID: clientID, portfolioID: 2, by: principal.userID, at: now)
            if let portfolioID = input.portfolioID {
                guard try await session.referenceData.modelPortfolio(portfolioID) != nil else {
                    throw ServiceError(.validation, code: "unknown_portfolio", message: "model portfolio \(portfolioID) does not exist", field: "portfolio_id")
                }
                preferences.portfolioID = portfolioID
            }
            if let value = input.maxPositions { preferences.maxPositions = try FieldValidation.range(value, 1...100, field: "max_positions") }
            if let value = input.maxWeight {
                guard value > 0, value <= 1 else { throw ServiceError.invalid("max_weight", "max_weight must be above 0 and at most 1") }
                preferences.maxWeight = value
            }
            if let value = input.cashBuffer { preferences.cashBuffer = try FieldValidation.range(value, 0...0.9, field: "cash_buffer") }
            if let value = input.driftThreshold { preferences.driftThreshold = try FieldValidation.range(value, 0...0.5, field: "drift_threshold") }
            if let symbols = input.excludedSymbols { preferences.excludedSymbols = try Self.normalisedSymbols(symbols, field: "excluded_symbols") }
            if let value = input.requireApproval { preferences.requireApproval = value }
            if let mode = input.tradingMode {
                guard let parsed = TradingMode(rawValue: mode) else {
                    throw ServiceError.invalid("trading_mode", "trading_mode must be one of dry_run, paper, live")
                }
                preferences.tradingMode = parsed
            }
            if let value = input.maxDrawdownLimit {
                let limit = try FieldValidation.range(value, 0...0.95, field: "max_drawdown_limit")
                preferences.maxDrawdownLimit = limit == 0 ? nil : limit
            }
            if let value = input.maxVolatilityLimit {
                let limit = try FieldValidation.range(value, 0...5, field: "max_volatility_limit")
                preferences.maxVolatilityLimit = limit == 0 ? nil : limit
            }
            if let action = input.deriskAction {
                guard let parsed = DeriskAction(rawValue: action) else {
                    throw ServiceError.invalid("derisk_action", "derisk_action must be one of \(DeriskAction.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                preferences.deriskAction = parsed
            }
            preferences.updatedBy = principal.userID
            preferences.updatedAt = now
            try await session.preferences.save(preferences)
            try await session.audit("preferences.update", actor: principal.userID, entityType: "client", entityID: String(clientID),
                                    clientID: clientID, at: now, details: ["portfolio_id": String(preferences.portfolioID),
                                                                           "trading_mode": preferences.tradingMode.rawValue])
            return preferences
        }
    }

    /// At most this many excluded symbols: more than any universe Keel trades (500), so no real list is cut.
    static let maximumExcludedSymbols = 500

    static func normalisedSymbols(_ symbols: [String], field: String) throws -> [String] {
        guard symbols.count <= maximumExcludedSymbols else {
            throw ServiceError.invalid(field, "\(field) may list at most \(maximumExcludedSymbols) symbols (got \(symbols.count))")
        }
        let allowed = CharacterSet.uppercaseLetters.union(.decimalDigits).union(CharacterSet(charactersIn: ".-/"))
        var out: [String] = [], seen = Set<String>()
        for raw in symbols {
            let symbol = raw.trimmingCharacters(in: .whitespaces).uppercased()
            guard (1...15).contains(symbol.count), symbol.unicodeScalars.allSatisfy(allowed.contains) else {
                throw ServiceError.invalid(field, "'\(raw)' is not a valid symbol")
            }
            if seen.insert(symbol).inserted { out.append(symbol) }
        }
        return out.sorted()
    }
}
