import Foundation
import KeelServices
import Vapor

/// The market regime of a symbol, from its stored bars.
struct RegimeController: RouteCollection {
    let regimes: RegimeService

    func boot(routes: any RoutesBuilder) throws {
        let regime = routes.grouped("regime")
        regime.get("current", use: current).openAPI("The market regime of a symbol today, with what decided it",
                                                    query: [.string("symbol", "the symbol (default SPY)")])
        regime.get("history", use: history).openAPI("The market regime of each day, with confidence and inputs",
                                                    query: [.string("symbol", "the symbol (default SPY)"), .date("from", "first day"), .date("to", "last day")])
    }

    func current(req: Request) async throws -> RegimeDayResponse {
        RegimeDayResponse(try await regimes.current(symbol: try req.query.get(String?.self, at: "symbol"), by: req.principal))
    }

    func history(req: Request) async throws -> [RegimeDayResponse] {
        let from = try req.query.get(String?.self, at: "from").map { try DataController.date($0, field: "from") }
        let to = try req.query.get(String?.self, at: "to").map { try DataController.date($0, field: "to").addingTimeInterval(86_399) }
        return try await regimes.history(symbol: try req.query.get(String?.self, at: "symbol"), from: from, to: to, by: req.principal)
            .map(RegimeDayResponse.init)
    }
}
