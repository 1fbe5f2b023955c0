import Foundation
import KeelServices
import Vapor

/// Splits: recorded by an administrator before their ex-date, applied to every account's positions, lots and open
/// trades when it begins (batches planned in the old shares expire).
struct CorporateActionController: RouteCollection {
    let corporateActions: CorporateActionService

    func boot(routes: any RoutesBuilder) throws {
        let splits = routes.grouped("corporate-actions", "splits")
        splits.post(use: record)
            .openAPI("Record a split ahead of its ex-date (admin): 201 when recorded, 200 when the same split already was; 409 for another ratio the same day",
                     body: SplitBody.self, example: SplitBody(symbol: "AAPL", exDate: "2027-01-04", newShares: 2, oldShares: 1), status: .created,
                     response: .json(SplitResponse.self), alternatives: [.ok: SplitResponse.self])
        splits.get(use: list)
            .openAPI("Recorded splits, newest ex-date first, with what applying each did (staff)",
                     query: [.string("symbol", "only this symbol"), .limit(default: 100, max: 1_000)])
    }

    func record(req: Request) async throws -> Response {
        let body = try req.decodeBody(SplitBody.self)
        let (record, created) = try await corporateActions.recordSplit(
            .init(symbol: body.symbol, exDate: body.exDate, newShares: body.newShares, oldShares: body.oldShares), by: req.principal)
        return try await SplitResponse(record).encodeResponse(status: created ? .created : .ok, for: req)
    }

    func list(req: Request) async throws -> [SplitResponse] {
        let symbol = try req.query.get(String?.self, at: "symbol")
        let limit = try req.query.get(Int?.self, at: "limit")
        return try await corporateActions.splits(symbol: symbol, limit: limit, by: req.principal).map(SplitResponse.init)
    }
}
