import FluentKit
import Foundation
import KeelCore

/// Model portfolios and instruments: the reference data portfolio construction reads.
public struct ReferenceDataRepository: Sendable {
    let database: any Database

    public func modelPortfolio(_ id: Int) async throws -> ModelPortfolioDefinition? {
        try await ModelPortfolioModel.find(id, on: database).map(Self.definition)
    }

    public func modelPortfolios() async throws -> [ModelPortfolioDefinition] {
        try await ModelPortfolioModel.query(on: database).sort(\.$id).all().map(Self.definition)
    }

    public func instruments(_ symbols: [String]) async throws -> [String: Instrument] {
        guard !symbols.isEmpty else { return [:] }
        let models = try await InstrumentModel.query(on: database).filter(\.$id ~~ symbols).all()
        var out: [String: Instrument] = [:]
        for model in models {
            guard let symbol = model.id else { continue }
            let assetClass = AssetClass(rawValue: model.assetClass) ?? .inferred(fromSymbol: symbol)
            out[symbol] = Instrument(symbol: symbol, assetClass: assetClass, name: model.name,
                                     quantityIncrement: model.quantityIncrement, tradable: model.tradable)
        }
        return out
    }

    /// Adds instruments that are not stored yet; existing ones are left as they are.
    public func ensureInstruments(_ instruments: [Instrument]) async throws {
        let existing = try await self.instruments(instruments.map(\.symbol))
        for instrument in instruments where existing[instrument.symbol] == nil {
            let model = InstrumentModel()
            model.id = instrument.symbol
            model.assetClass = instrument.assetClass.rawValue
            model.name = instrument.name
            model.quantityIncrement = instrument.quantityIncrement
            model.tradable = instrument.tradable
            model.currency = "USD"
            try await model.create(on: database)
        }
    }

    static func definition(_ model: ModelPortfolioModel) throws -> ModelPortfolioDefinition {
        guard let strategy = StrategyKind(rawValue: model.strategy) else { throw StoreError.corrupt("strategy '\(model.strategy)'") }
        return ModelPortfolioDefinition(id: model.id ?? 0, name: model.name, strategy: strategy, riskLevel: model.riskLevel,
                                        description: model.description, universe: model.universe)
    }
}

extension Session {
    public var referenceData: ReferenceDataRepository { ReferenceDataRepository(database: database) }
}
