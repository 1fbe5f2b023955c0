import Foundation
import KeelServices
import KeelStore
import Vapor

/// Round-trip trades and strategy instances of users, and goal-aware trade sizing.
struct TradeController: RouteCollection {
    let trades: TradeService
    let strategyInstances: StrategyInstanceService

    func boot(routes: any RoutesBuilder) throws {
        let trades = routes.grouped("trades")
        trades.post(use: record).openAPI("Record a trade", body: TradeBody.self)
        trades.get(use: list).openAPI("Trades you may see", query: [.string("user_id", "only this login's"), .choice("status", "only trades in this status", TradeStatus.self), .string("strategy_id", "only this strategy instance's")])
        trades.post("size", use: size).openAPI("Size a trade under the goals and the hard limits", body: TradeSizeBody.self)
        trades.get(":trade_id", use: get).openAPI("Get a trade")
        trades.post(":trade_id", "close", use: close).openAPI("Close a trade", body: CloseTradeBody.self)

        let strategies = routes.grouped("strategy-instances")
        strategies.post(use: createStrategy).openAPI("Start a strategy instance", body: StrategyInstanceBody.self)
        strategies.get(use: listStrategies).openAPI("Strategy instances", query: [.string("user_id", "only this login's")])
        strategies.get(":strategy_id", use: getStrategy).openAPI("Get a strategy instance")
        strategies.post(":strategy_id", "retire", use: retireStrategy).openAPI("Retire a strategy instance")
    }

    func record(req: Request) async throws -> TradeResponse {
        TradeResponse(try await trades.record(try req.decodeBody(TradeBody.self).input, by: req.principal))
    }

    func list(req: Request) async throws -> [TradeResponse] {
        try await trades.list(userID: try req.query.get(String?.self, at: "user_id"), status: try req.query.get(String?.self, at: "status"),
                                       strategyID: try req.query.get(String?.self, at: "strategy_id"), by: req.principal).map(TradeResponse.init)
    }

    func get(req: Request) async throws -> TradeResponse {
        TradeResponse(try await trades.get(req.parameters.get("trade_id") ?? "", by: req.principal))
    }

    func close(req: Request) async throws -> TradeResponse {
        let body = try req.decodeBody(CloseTradeBody.self)
        return TradeResponse(try await trades.close(req.parameters.get("trade_id") ?? "", exitPrice: body.exitPrice, fees: body.fees,
                                                             exitTime: body.exitTime, by: req.principal))
    }

    func size(req: Request) async throws -> TradeSizingResponse {
        let body = try req.decodeBody(TradeSizeBody.self)
        return TradeSizingResponse(try await trades.size(userID: body.userId, symbol: body.symbol, baseQuantity: body.baseQuantity,
                                                                  price: body.price, portfolioValue: body.portfolioValue, by: req.principal))
    }

    func createStrategy(req: Request) async throws -> StrategyInstanceResponse {
        let body = try req.decodeBody(StrategyInstanceBody.self)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let parameters = try body.parameters.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return StrategyInstanceResponse(try await strategyInstances.create(
            StrategyInstanceInput(userID: body.userId, strategyType: body.strategyType, name: body.name, parameters: parameters), by: req.principal))
    }

    func listStrategies(req: Request) async throws -> [StrategyInstanceResponse] {
        try await strategyInstances.list(userID: try req.query.get(String?.self, at: "user_id"), by: req.principal)
            .map(StrategyInstanceResponse.init)
    }

    func getStrategy(req: Request) async throws -> StrategyInstanceResponse {
        StrategyInstanceResponse(try await strategyInstances.get(req.parameters.get("strategy_id") ?? "", by: req.principal))
    }

    func retireStrategy(req: Request) async throws -> StrategyInstanceResponse {
        StrategyInstanceResponse(try await strategyInstances.retire(req.parameters.get("strategy_id") ?? "", by: req.principal))
    }
}
