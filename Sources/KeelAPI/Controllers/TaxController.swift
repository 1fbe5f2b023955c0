import Foundation
import KeelCore
import KeelServices
import Vapor

/// Realised gains by tax year (JSON, and Form 8949 as CSV), an account's open lots, and the substantially identical
/// groups the wash-sale rule uses. Not tax advice.
struct TaxController: RouteCollection {
    let tax: TaxService

    static let notice = "Figures from Keel's lot ledger for the advisor and the client's tax preparer; not tax advice."

    func boot(routes: any RoutesBuilder) throws {
        let year: [QueryParameter] = [.integer("year", "the tax year (default: this year)")]
        routes.get("clients", ":client_id", "tax", "realized", use: realized)
            .openAPI("A client's realised gains of a tax year: each lot sold, its term, basis, wash-sale disallowance, and the totals", query: year)
        routes.get("clients", ":client_id", "tax", "form-8949", use: form8949)
            .openAPI("A client's realised lots of a tax year as CSV in the column order of IRS Form 8949 (code W: wash sale)", query: year, response: .csv)
        routes.get("clients", ":client_id", "tax", "preferences", use: preferences)
            .openAPI("A client's tax preferences (defaults until set): taxable, rates, yearly gains budget, lot method, drift tax tolerance, harvesting")
        routes.put("clients", ":client_id", "tax", "preferences", use: updatePreferences)
            .openAPI("Change a client's tax preferences (staff); fields left out stay", body: TaxPreferencesRequest.self,
                     example: TaxPreferencesRequest(lotMethod: "hifo", harvest: true))
        routes.get("brokerages", "accounts", ":account_hash", "lots", use: lots).openAPI("An account's open tax lots, oldest first")
        routes.get("tax", "identical-groups", use: identicalGroups).openAPI("Securities treated as substantially identical by the wash-sale rule (staff)")
        routes.put("tax", "identical-groups", use: setIdenticalGroups)
            .openAPI("Replace the substantially identical groups (staff)", body: IdenticalGroupsBody.self, example: IdenticalGroupsBody(groups: [["VOO", "IVV", "SPLG"]]))
        routes.get("tax", "substitutes", use: substitutes).openAPI("The security each one is harvested into (staff)")
        routes.put("tax", "substitutes", use: setSubstitutes)
            .openAPI("Replace the harvesting substitutes (staff): symbol to the non-identical security bought in its place; list both directions of a pair",
                     body: SubstitutesBody.self, example: SubstitutesBody(substitutes: ["VOO": "VTI", "VTI": "VOO"]))
        routes.get("clients", ":client_id", "tax", "harvests", use: harvests)
            .openAPI("A client's tax-loss harvests of a tax year: each sale of loss lots into a substitute, its batch, realised loss and swap-back", query: year)
    }

    func year(_ req: Request) throws -> Int? {
        try req.query.get(Int?.self, at: "year")
    }

    func realized(req: Request) async throws -> RealizedYearResponse {
        let year = try await realizedYear(req)
        return RealizedYearResponse(clientId: year.clientID, year: year.year, shortTermGain: year.shortTermGain, longTermGain: year.longTermGain,
                                    washSaleDisallowed: year.washDisallowed, unknownBasisLots: year.unknownBasisLots,
                                    lots: year.lots.map(RealizedLotResponse.init), notice: Self.notice)
    }

    func realizedYear(_ req: Request) async throws -> TaxService.RealizedYear {
        try await tax.realized(clientID: req.intParameter("client_id"), year: year(req), by: req.principal)
    }

    func form8949(req: Request) async throws -> Response {
        let csv = try await tax.form8949(clientID: req.intParameter("client_id"), year: year(req), by: req.principal)
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/csv; charset=utf-8")
        headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"form-8949.csv\"")
        return Response(status: .ok, headers: headers, body: .init(string: csv))
    }

    func preferences(req: Request) async throws -> TaxPreferencesResponse {
        TaxPreferencesResponse(try await tax.preferences(clientID: req.intParameter("client_id"), by: req.principal))
    }

    func updatePreferences(req: Request) async throws -> TaxPreferencesResponse {
        let body = try req.decodeBody(TaxPreferencesRequest.self)
        return TaxPreferencesResponse(try await tax.updatePreferences(clientID: req.intParameter("client_id"), with: body.input, by: req.principal))
    }

    func lots(req: Request) async throws -> [TaxLotResponse] {
        try await tax.lots(accountHash: req.parameters.get("account_hash") ?? "", by: req.principal).map(TaxLotResponse.init)
    }

    func identicalGroups(req: Request) async throws -> IdenticalGroupsResponse {
        IdenticalGroupsResponse(groups: try await tax.identicalGroups(by: req.principal))
    }

    func substitutes(req: Request) async throws -> SubstitutesResponse {
        SubstitutesResponse(substitutes: try await tax.substitutes(by: req.principal))
    }

    func setSubstitutes(req: Request) async throws -> SubstitutesResponse {
        let body = try req.decodeBody(SubstitutesBody.self)
        guard let pairs = body.substitutes else { throw ServiceError.invalid("substitutes", "substitutes is required (an object of symbol to substitute)") }
        return SubstitutesResponse(substitutes: try await tax.setSubstitutes(pairs, by: req.principal))
    }

    func harvests(req: Request) async throws -> HarvestYearResponse {
        let year = try await tax.harvests(clientID: req.intParameter("client_id"), year: year(req), by: req.principal)
        return HarvestYearResponse(clientId: year.clientID, year: year.year, harvestedLoss: year.harvestedLoss,
                                   harvests: year.harvests.map(HarvestResponse.init), notice: Self.notice)
    }

    func setIdenticalGroups(req: Request) async throws -> IdenticalGroupsResponse {
        let body = try req.decodeBody(IdenticalGroupsBody.self)
        guard let groups = body.groups else { throw ServiceError.invalid("groups", "groups is required (a list of lists of symbols)") }
        return IdenticalGroupsResponse(groups: try await tax.setIdenticalGroups(groups, by: req.principal))
    }
}
