import KeelServices
import KeelStore
import Vapor

struct TradingController: RouteCollection {
    let approvals: ApprovalService
    let execution: ExecutionService
    let healthService: PortfolioHealthService
    let predictions: PredictionService
    let rebalancing: RebalanceService

    func boot(routes: any RoutesBuilder) throws {
        routes.get("ml-models", "predict", ":client_id", use: predict).openAPI("Return predictions for a client's portfolio", query: [.integer("portfolio_id", "the model portfolio (default: the client's)")])
        routes.get("portfolio-health", ":client_id", use: health).openAPI("A client's portfolio health: drift, concentration, risk")
        let trading = routes.grouped("rl", "trading")
        trading.post("rebalance", use: rebalance).openAPI("Plan a rebalance batch for an account", body: RebalanceBody.self, example: APIExamples.rebalance)
        trading.get("batches", use: listBatches).openAPI("Rebalance batches", query: [.integer("client_id", "only this client's"), .choice("status", "only batches in this status", BatchStatus.self), .limit(default: 50, max: 500)])
        trading.get("batches", ":batch_id", use: getBatch).openAPI("Get a batch with its orders")
        trading.post("batches", ":batch_id", "approve", use: approve).openAPI("Approve a batch (advisor)")
        trading.post("batches", ":batch_id", "reject", use: reject).openAPI("Reject a batch (advisor)", body: RejectBody.self, example: APIExamples.reject)
        trading.post("execute-batch", use: execute).openAPI("Execute an approved batch: dry run, paper or live", body: ExecuteBody.self, example: APIExamples.execute)
    }

    func predict(req: Request) async throws -> [PredictionResponse] {
        let portfolioID = try req.query.get(Int?.self, at: "portfolio_id")
        return try await predictions.predict(clientID: req.intParameter("client_id"), portfolioID: portfolioID, by: req.principal)
            .map(PredictionResponse.init)
    }

    func health(req: Request) async throws -> PortfolioHealthResponse {
        PortfolioHealthResponse(try await healthService.health(clientID: req.intParameter("client_id"), by: req.principal))
    }

    func rebalance(req: Request) async throws -> BatchResponse {
        let body = try req.decodeBody(RebalanceBody.self)
        var request = RebalanceRequest(clientID: body.clientId, accountHash: body.accountHash, portfolioID: body.portfolioId,
                                       maxPositions: body.maxPositions, requireApproval: body.requireApproval,
                                       useGoals: body.useGoals)
        request.allowWashSales = body.allowWashSales ?? false
        return BatchResponse(try await rebalancing.rebalance(request, by: req.principal))
    }

    func listBatches(req: Request) async throws -> [BatchResponse] {
        let clientID = try req.query.get(Int?.self, at: "client_id")
        let status = try req.query.get(String?.self, at: "status").map { text -> BatchStatus in
            guard let status = BatchStatus(rawValue: text) else {
                throw ServiceError.invalid("status", "status must be one of \(BatchStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return status
        }
        let limit = try req.query.get(Int?.self, at: "limit") ?? 50
        return try await approvals.list(clientID: clientID, status: status, limit: limit, by: req.principal).map(BatchResponse.init)
    }

    func getBatch(req: Request) async throws -> BatchResponse {
        BatchResponse(try await approvals.get(req.parameters.get("batch_id") ?? "", by: req.principal))
    }

    func approve(req: Request) async throws -> BatchResponse {
        BatchResponse(try await approvals.approve(req.parameters.get("batch_id") ?? "", by: req.principal))
    }

    func reject(req: Request) async throws -> BatchResponse {
        let body = try req.decodeBody(RejectBody.self)
        return BatchResponse(try await approvals.reject(req.parameters.get("batch_id") ?? "", reason: body.reason, by: req.principal))
    }

    func execute(req: Request) async throws -> ExecutionResponse {
        let body = try req.decodeBody(ExecuteBody.self)
        guard let batchID = body.batchId, !batchID.isEmpty else { throw ServiceError.invalid("batch_id", "batch_id is required") }
        guard let dryRun = body.dryRun else {
            throw ServiceError.invalid("dry_run", "dry_run is required: true to simulate, false to send orders")
        }
        return ExecutionResponse(try await execution.execute(batchID: batchID, dryRun: dryRun, by: req.principal))
    }
}
