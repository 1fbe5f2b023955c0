import FluentKit
import Foundation
import KeelCore

public struct PreferencesRecord: Sendable, Hashable {
    public var clientID: Int
    public var portfolioID: Int
    public var maxPositions: Int
    public var maxWeight: Double
    public var cashBuffer: Double
    public var driftThreshold: Double
    public var excludedSymbols: [String]
    public var requireApproval: Bool
    public var tradingMode: TradingMode
    /// The autonomous cycle de-risks the account when its drawdown from the peak exceeds this (0.15 = 15 %); nil: no limit.
    public var maxDrawdownLimit: Double? = nil
    /// When the drawdown limit was last set or changed (kept by `save`): the high-water mark counts from then.
    public internal(set) var drawdownLimitSetAt: Date? = nil
    /// ... or when its realised volatility (annualised, 20 days) exceeds this; nil: no limit.
    public var maxVolatilityLimit: Double? = nil
    /// What de-risking means for this client.
    public var deriskAction: DeriskAction = .defensive
    public var updatedBy: String
    public var updatedAt: Date

    public init(clientID: Int, portfolioID: Int, maxPositions: Int, maxWeight: Double, cashBuffer: Double, driftThreshold: Double,
                excludedSymbols: [String], requireApproval: Bool, tradingMode: TradingMode, updatedBy: String, updatedAt: Date) {
        self.clientID = clientID
        self.portfolioID = portfolioID
        self.maxPositions = maxPositions
        self.maxWeight = maxWeight
        self.cashBuffer = cashBuffer
        self.driftThreshold = driftThreshold
        self.excludedSymbols = excludedSymbols
        self.requireApproval = requireApproval
        self.tradingMode = tradingMode
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }

    public var constraints: PortfolioConstraints {
        PortfolioConstraints(maxPositions: maxPositions, maxWeight: maxWeight, cashBuffer: cashBuffer, excludedSymbols: Set(excludedSymbols))
    }
}

/// What a breached risk limit does to an account's portfolio.
public enum DeriskAction: String, Sendable, Codable, CaseIterable {
    /// Move to the defensive (low-volatility) model portfolio.
    case defensive
    /// Keep the strategy but hold a quarter of the usual exposure; the rest stays cash.
    case cash
}

public struct PreferencesRepository: Sendable {
    let database: any Database

    public func find(clientID: Int) async throws -> PreferencesRecord? {
        guard let model = try await ClientPreferencesModel.find(clientID, on: database) else { return nil }
        return try Self.record(model)
    }

    /// The preferences of several clients in one query, by client id.
    public func find(clientIDs: [Int]) async throws -> [Int: PreferencesRecord] {
        guard !clientIDs.isEmpty else { return [:] }
        let models = try await ClientPreferencesModel.query(on: database).filter(\.$id ~~ clientIDs).all()
        return Dictionary(try models.map(Self.record).map { ($0.clientID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    static func record(_ model: ClientPreferencesModel) throws -> PreferencesRecord {
        let clientID = model.id ?? 0
        guard let mode = TradingMode(rawValue: model.tradingMode) else { throw StoreError.corrupt("trading mode '\(model.tradingMode)'") }
        var record = PreferencesRecord(clientID: clientID, portfolioID: model.$portfolio.id, maxPositions: model.maxPositions,
                                 maxWeight: model.maxWeight, cashBuffer: model.cashBuffer, driftThreshold: model.driftThreshold,
                                 excludedSymbols: model.excludedSymbols, requireApproval: model.requireApproval,
                                 tradingMode: mode, updatedBy: model.updatedBy, updatedAt: model.updatedAt)
        record.maxDrawdownLimit = model.maxDrawdownLimit
        record.drawdownLimitSetAt = model.drawdownLimitSetAt
        record.maxVolatilityLimit = model.maxVolatilityLimit
        record.deriskAction = model.deriskAction.flatMap(DeriskAction.init(rawValue:)) ?? .defensive
        return record
    }

    public func save(_ record: PreferencesRecord) async throws {
        let existing = try await ClientPreferencesModel.find(record.clientID, on: database)
        let model = existing ?? ClientPreferencesModel()
        model.id = record.clientID
        model.$portfolio.id = record.portfolioID
        model.maxPositions = record.maxPositions
        model.maxWeight = record.maxWeight
        model.cashBuffer = record.cashBuffer
        model.driftThreshold = record.driftThreshold
        model.excludedSymbols = record.excludedSymbols
        model.requireApproval = record.requireApproval
        model.tradingMode = record.tradingMode.rawValue
        if existing == nil || existing?.maxDrawdownLimit != record.maxDrawdownLimit {
            model.drawdownLimitSetAt = record.maxDrawdownLimit == nil ? nil : record.updatedAt
        }
        model.maxDrawdownLimit = record.maxDrawdownLimit
        model.maxVolatilityLimit = record.maxVolatilityLimit
        model.deriskAction = record.deriskAction.rawValue
        model.updatedBy = record.updatedBy
        model.updatedAt = record.updatedAt
        if existing == nil { try await model.create(on: database) } else { try await model.update(on: database) }
    }
}

extension Session {
    public var preferences: PreferencesRepository { PreferencesRepository(database: database) }
}
