import FluentKit
import Foundation
import KeelCore

/// Reference rows every installation needs: the two brokerages, the standard model portfolios and their
/// instruments, and the trading switches in their safe default positions.
struct M009_SeedReferenceData: AsyncMigration {
    func prepare(on database: any Database) async throws {
        for (id, code, name, live) in [(1, "schwab", "Charles Schwab", true), (2, "paper", "Keel paper broker", false)] {
            let brokerage = BrokerageModel()
            brokerage.id = id
            brokerage.code = code
            brokerage.name = name
            brokerage.supportsLive = live
            try await brokerage.create(on: database)
        }
        let symbols = Set(ModelPortfolioDefinition.standard.flatMap(\.universe))
        for entry in ReferenceInstruments.all where symbols.contains(entry.instrument.symbol) {
            let instrument = InstrumentModel()
            instrument.id = entry.instrument.symbol
            instrument.assetClass = entry.instrument.assetClass.rawValue
            instrument.name = entry.instrument.name
            instrument.quantityIncrement = entry.instrument.quantityIncrement
            instrument.tradable = entry.instrument.tradable
            instrument.currency = "USD"
            try await instrument.create(on: database)
        }
        for definition in ModelPortfolioDefinition.standard {
            let portfolio = ModelPortfolioModel()
            portfolio.id = definition.id
            portfolio.name = definition.name
            portfolio.strategy = definition.strategy.rawValue
            portfolio.riskLevel = definition.riskLevel
            portfolio.description = definition.description
            portfolio.universe = definition.universe
            try await portfolio.create(on: database)
        }
        for key in SystemStateKey.allCases {
            let state = SystemStateModel()
            state.id = key.rawValue
            state.value = key.defaultValue
            state.updatedBy = "migration"
            state.updatedAt = Date()
            try await state.create(on: database)
        }
    }

    func revert(on database: any Database) async throws {
        try await SystemStateModel.query(on: database).delete()
        try await ModelPortfolioModel.query(on: database).delete()
        try await InstrumentModel.query(on: database).delete()
        try await BrokerageModel.query(on: database).delete()
    }
}
