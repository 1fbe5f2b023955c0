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
        guard let portfolio = try await session.referenceData.modelPortfolio(id) else { throw Self.noPortfolio(id) }
        return (portfolio, Self.universe(portfolio, preferences: preferences))
    }

    static func universe(_ portfolio: ModelPortfolioDefinition, preferences: PreferencesRecord) -> [String] {
        let excluded = Set(preferences.excludedSymbols)
        return portfolio.universe.filter { !excluded.contains($0) }
    }

    static func noPortfolio(_ id: Int) -> ServiceError {
        ServiceError(.notFound, code: "not_found", message: "model portfolio \(id) not found", field: "portfolio_id")
    }

    public func predict(clientID: Int, portfolioID: Int? = nil, by principal: Principal) async throws -> [ReturnPrediction] {
        try await predict(clientID: clientID, portfolioID: portfolioID, by: principal, histories: nil)
    }

    /// `histories`: where the bars come from (the autonomous cycle's shared snapshot); nil: the database.
    func predict(clientID: Int, portfolioID: Int?, by principal: Principal,
                 histories source: (@Sendable (_ symbols: [String], _ since: Date, _ session: Session) async throws -> [BarSeries])?) async throws -> [ReturnPrediction] {
        try principal.ensureAccess(toClient: clientID)
        let request = Request(key: "request", clientID: clientID, portfolioID: portfolioID)
        guard let result = try await predict([request], histories: source, forecasts: nil)[request.key] else {
            throw ServiceError.notFound("client \(clientID)", field: "client_id")
        }
        return try result.get()
    }

    /// One client's portfolio to predict for (`key` names it in the answer: the cycle uses the account hash).
    struct Request: Sendable {
        var key: String
        var clientID: Int
        var portfolioID: Int?
    }

    /// Predictions for many requests at once (the cycle's predictions step over a chunk): the deployed and shadow
    /// versions resolved once, clients, preferences and portfolios read with one query each, each distinct universe
    /// predicted once (through `forecasts`, the cycle's memo, when given), and everything served stored with one
    /// multi-row statement. Each request's answer is its predictions or why there are none.
    func predict(_ requests: [Request], histories source: (@Sendable (_ symbols: [String], _ since: Date, _ session: Session) async throws -> [BarSeries])?,
                 forecasts memo: ForecastMemo?) async throws -> [String: Result<[ReturnPrediction], any Error>] {
        let asOf = context.clock.now()
        let active = self.active
        typealias Forecasts = (served: [ReturnPrediction], shadows: [(String, [ReturnPrediction])])
        let read: (universes: [String: Result<[String], any Error>], forecasts: [[String]: Forecasts], modelID: String)
        do {
            read = try await context.database.read { session in
                let resolved = try await active.resolve(session: session)
                // Versions in shadow predict from the same bars; what they say is stored, never served.
                let shadows = try await active.shadows(session: session).filter { $0.modelID != resolved.modelID }
                let clientIDs = requests.map(\.clientID)
                let clients = try await session.clients.find(ids: clientIDs)
                let preferences = try await session.preferences.find(clientIDs: clientIDs)
                let portfolios = Dictionary(try await session.referenceData.modelPortfolios().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                let since = asOf.addingTimeInterval(-400 * 86_400)
                var universes: [String: Result<[String], any Error>] = [:]
                var forecasts: [[String]: Forecasts] = [:]
                for request in requests {
                    guard clients[request.clientID] != nil else {
                        universes[request.key] = .failure(ServiceError.notFound("client \(request.clientID)", field: "client_id"))
                        continue
                    }
                    guard let preferences = preferences[request.clientID] else {
                        universes[request.key] = .failure(ServiceError.notFound("preferences of client \(request.clientID)"))
                        continue
                    }
                    let id = request.portfolioID ?? preferences.portfolioID
                    guard let portfolio = portfolios[id] else {
                        universes[request.key] = .failure(Self.noPortfolio(id))
                        continue
                    }
                    let symbols = Self.universe(portfolio, preferences: preferences)
                    universes[request.key] = .success(symbols)
                    guard forecasts[symbols] == nil else { continue }
                    let histories = if let source { try await source(symbols, since, session) } else {
                        try await session.marketBars.history(symbols: symbols, since: since)
                    }
                    let predictor = resolved.predictor
                    let served = await memo?(resolved.modelID, symbols) { predictor.predict(histories: histories, asOf: asOf) }
                        ?? predictor.predict(histories: histories, asOf: asOf)
                    forecasts[symbols] = (served, shadows.map { ($0.modelID, $0.predictor.predict(histories: histories, asOf: asOf)) })
                }
                return (universes, forecasts, resolved.modelID)
            }
        } catch {
            await active.raiseRefusalAlerts()
            throw error
        }
        // An artifact refused during the read is alerted now that the read has ended.
        await active.raiseRefusalAlerts()
        var answers: [String: Result<[ReturnPrediction], any Error>] = [:]
        var stored: [StoredPrediction] = []
        for request in requests {
            switch read.universes[request.key] {
            case .failure(let error)?:
                answers[request.key] = .failure(error)
            case .success(let symbols)?:
                guard let forecast = read.forecasts[symbols], !forecast.served.isEmpty else {
                    answers[request.key] = .failure(ServiceError(.unavailable, code: "no_market_data",
                                                                 message: "no symbol of the client's universe has enough price history (120 days) to predict from; import or seed market data first"))
                    continue
                }
                // What was served is kept: which version said what, for whom, as of when.
                stored += forecast.served.map {
                    StoredPrediction(modelID: read.modelID, modelVersion: $0.modelVersion, role: "served", clientID: request.clientID, symbol: $0.symbol,
                                     asOf: $0.asOf, expectedReturn: $0.expectedReturn, score: $0.score)
                }
                for (shadowID, shadowPredictions) in forecast.shadows {
                    stored += shadowPredictions.map {
                        StoredPrediction(modelID: shadowID, modelVersion: $0.modelVersion, role: "shadow", clientID: request.clientID, symbol: $0.symbol,
                                         asOf: $0.asOf, expectedReturn: $0.expectedReturn, score: $0.score)
                    }
                }
                answers[request.key] = .success(forecast.served)
            case nil:
                continue
            }
        }
        let rows = stored
        if !rows.isEmpty { try await context.database.write { try await $0.models.storePredictions(rows, at: asOf) } }
        return answers
    }
}

/// The cycle's memo of forecasts: (model id, universe, how to compute it) -> the forecast every account of the
/// cycle shares.
typealias ForecastMemo = @Sendable (_ modelID: String, _ symbols: [String], _ compute: @Sendable () -> [ReturnPrediction]) async -> [ReturnPrediction]
