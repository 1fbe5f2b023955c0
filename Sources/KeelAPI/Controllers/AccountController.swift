import KeelServices
import Vapor

struct AccountController: RouteCollection {
    let accounts: AccountService
    let cashFlowService: CashFlowService
    func boot(routes: any RoutesBuilder) throws {
        routes.get("brokerages", use: brokerages).openAPI("Brokerages accounts can be linked at")
        routes.post("brokerages", "accounts", use: link).openAPI("Link a brokerage account to a client", body: AccountLinkRequest.self, example: APIExamples.linkAccount)
        routes.get("brokerages", "accounts", ":account_hash", use: get).openAPI("Get a linked account with its cash and positions")
        routes.post("brokerages", "accounts", ":account_hash", "cash-flows", use: recordCashFlow)
            .openAPI("Book a deposit (positive amount) or withdrawal (negative): a paper account's cash moves; performance is measured apart from it",
                     body: CashFlowRequest.self, example: APIExamples.cashFlow)
        routes.get("brokerages", "accounts", ":account_hash", "cash-flows", use: cashFlows).openAPI("An account's deposits and withdrawals, newest first")
        routes.get("model-portfolios", use: modelPortfolios).openAPI("Model portfolios and their target weights")
    }

    func brokerages(req: Request) async throws -> [BrokerageResponse] {
        try await accounts.brokerages(by: req.principal).map {
            BrokerageResponse(brokerageId: $0.brokerageID, code: $0.code, name: $0.name, supportsLive: $0.supportsLive)
        }
    }

    func link(req: Request) async throws -> AccountResponse {
        let body = try req.decodeBody(AccountLinkRequest.self)
        return AccountResponse(try await accounts.link(body.input, by: req.principal))
    }

    func get(req: Request) async throws -> AccountResponse {
        AccountResponse(try await accounts.get(accountHash: req.parameters.get("account_hash") ?? "", by: req.principal))
    }

    func recordCashFlow(req: Request) async throws -> CashFlowResponse {
        let body = try req.decodeBody(CashFlowRequest.self)
        return CashFlowResponse(try await cashFlowService.record(accountHash: req.parameters.get("account_hash") ?? "", amount: body.amount,
                                                                    note: body.note, by: req.principal))
    }

    func cashFlows(req: Request) async throws -> [CashFlowResponse] {
        try await cashFlowService.list(accountHash: req.parameters.get("account_hash") ?? "", by: req.principal).map(CashFlowResponse.init)
    }

    func modelPortfolios(req: Request) async throws -> [ModelPortfolioResponse] {
        try await accounts.modelPortfolios(by: req.principal).map {
            ModelPortfolioResponse(portfolioId: $0.id, name: $0.name, strategy: $0.strategy.rawValue, riskLevel: $0.riskLevel,
                                   description: $0.description, universe: $0.universe)
        }
    }
}
