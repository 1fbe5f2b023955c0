import Foundation
import Testing

/// The common opening of trading tests: a client with a funded paper account, through the real API.
public struct TradingScenario: Sendable {
    public let token: String
    public let clientID: Int
    public let accountHash: String

    public static func make(_ app: KeelTestApp, factory: Factory = Factory(), portfolioID: Int = 1,
                            startingCash: Double = 100_000) async throws -> TradingScenario {
        let token = try await app.login()
        var body = factory.client()
        body["portfolio_id"] = portfolioID
        let client = try await app.request(.POST, "/api/clients/", token: token, json: body)
        guard client.status == .ok, let clientID = client.object.int("client_id") else { throw TestSetupError("create client: \(client)") }
        let hash = factory.accountHash()
        let account = try await app.request(.POST, "/api/brokerages/accounts", token: token, json: [
            "client_id": clientID, "brokerage_id": 2, "account_number": "PA-\(factory.seed % 100_000)", "account_hash": hash,
            "account_type": "individual", "starting_cash": startingCash,
        ])
        guard account.status == .ok else { throw TestSetupError("link account: \(account)") }
        return TradingScenario(token: token, clientID: clientID, accountHash: hash)
    }

    /// POST /api/rl/trading/rebalance; returns the batch response.
    public func rebalance(_ app: KeelTestApp, requireApproval: Bool = true, maxPositions: Int = 10, portfolioID: Int = 1) async throws -> TestResponse {
        try await app.request(.POST, "/api/rl/trading/rebalance", token: token, json: [
            "client_id": clientID, "account_hash": accountHash, "portfolio_id": portfolioID,
            "max_positions": maxPositions, "require_approval": requireApproval,
        ])
    }

    /// A batch that is approved and ready to execute.
    public func approvedBatch(_ app: KeelTestApp) async throws -> String {
        let batch = try await rebalance(app)
        guard batch.status == .ok, let id = batch.object.string("batch_id") else { throw TestSetupError("rebalance: \(batch)") }
        let approved = try await app.request(.POST, "/api/rl/trading/batches/\(id)/approve", token: token)
        guard approved.status == .ok else { throw TestSetupError("approve: \(approved)") }
        return id
    }

    public func execute(_ app: KeelTestApp, batchID: String, dryRun: Bool) async throws -> TestResponse {
        try await app.request(.POST, "/api/rl/trading/execute-batch", token: token, json: ["batch_id": batchID, "dry_run": dryRun])
    }

    public func health(_ app: KeelTestApp) async throws -> TestResponse {
        try await app.request(.GET, "/api/portfolio-health/\(clientID)", token: token)
    }
}
