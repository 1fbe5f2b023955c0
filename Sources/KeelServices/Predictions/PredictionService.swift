import Foundation
import KeelCore
import KeelML
import KeelStore

/// Serves return predictions for a client's universe from the active predictor, computed from stored bars.
public struct PredictionService: Sendable {
    let context: ServiceContext
    let active: ActivePredictor

    public init(context: ServiceContext, predictor: any ReturnPredictor = MomentumBaselineModel(), active: ActivePredictor? = nil) {
        self.context = context
        self.active = active ?? ActivePredictor(baseline: predictor, context: context)
    }

    /// The symbols a client's portfolio may hold: its model portfolio's universe minus exclusions.
    public func universe(clientID: Int, portfolioID: Int? = nil, session: Session) async throws -> (ModelPortfolioDefinition, [String]) {
        guard try await session.clients.find(clientID) != nil else { throw ServiceError.notFound("client \(clientID)", field: "client_id") }
        guard let preferences = try await session.preferences.find(clientID: clientID) else {
            throw ServiceError.notFound("preferences of client \(clientID)")
        }
        let id = portfolioID ?? preferences.portfolioID
        guard let portfolio = try await session.referenceData.modelPortfolio(id) else {
            throw ServiceError(.notFound, code: "not_found", message: "model portfolio \(id) not found", field: "portfolio_id")
        }
        let excluded = Set(preferences.excludedSymbols)
        return (portfolio, portfolio.universe.filter { !excluded.contains($0) })
    }

    public func predict(clientID: Int, portfolioID: Int? = nil, by principal: Principal) async throws -> [ReturnPrediction] {
        try await predict(clientID: clientID, portfolioID: portfolioID, by: principal, histories: nil)
    }

    /// `histories`: where the bars come from (the autonomous cycle's shared snapshot); nil: the database.
    func predict(clientID: Int, portfolioID: Int?, by principal: Principal,
                 histories source: (@Sendable (_ symbols: [String], _ since: Date, _ session: Session) async throws -> [BarSeries])?) async throws -> [ReturnPrediction] {
        try principal.ensureAccess(toClient: clientID)
        let asOf = context.clock.now()
        let active = self.active
        let read: ([ReturnPrediction], String, [(String, [ReturnPrediction])])
        do {
            read = try await context.database.read { session in
            let resolved = try await active.resolve(session: session)
            let (_, symbols) = try await universe(clientID: clientID, portfolioID: portfolioID, session: session)
            let since = asOf.addingTimeInterval(-400 * 86_400)
            let histories: [BarSeries]
            if let source {
                histories = try await source(symbols, since, session)
            } else {
                histories = try await session.marketBars.history(symbols: symbols, since: since)
            }
            // Versions in shadow predict from the same bars; what they say is stored, never served.
            let shadows = try await active.shadows(session: session).filter { $0.modelID != resolved.modelID }
                .map { ($0.modelID, $0.predictor.predict(histories: histories, asOf: asOf)) }
            return (resolved.predictor.predict(histories: histories, asOf: asOf), resolved.modelID, shadows)
            }
        } catch {
            await active.raiseRefusalAlerts()
            throw error
        }
        // An artifact refused during the read is alerted now that the read has ended.
        await active.raiseRefusalAlerts()
        let (predictions, modelID, shadows) = read
        guard !predictions.isEmpty else {
            throw ServiceError(.unavailable, code: "no_market_data",
                               message: "no symbol of the client's universe has enough price history (120 days) to predict from; import or seed market data first")
        }
        // What was served is kept: which version said what, for whom, as of when.
        var stored = predictions.map {
            StoredPrediction(modelID: modelID, modelVersion: $0.modelVersion, role: "served", clientID: clientID, symbol: $0.symbol, asOf: $0.asOf,
                             expectedReturn: $0.expectedReturn, score: $0.score)
        }
        for (shadowID, shadowPredictions) in shadows {
            stored += shadowPredictions.map {
                StoredPrediction(modelID: shadowID, modelVersion: $0.modelVersion, role: "shadow", clientID: clientID, symbol: $0.symbol, asOf: $0.asOf,
                                 expectedReturn: $0.expectedReturn, score: $0.score)
            }
        }
        let rows = stored
        try await context.database.write { try await $0.models.storePredictions(rows, at: asOf) }
        return predictions
    }
}
