import Foundation
import Testing

/// Goal tests' common moves through the real API: a user goal measured on recorded trades, and trades with
/// a chosen profit (0.5 BTCUSDT round trips, so every amount is exact).
public struct GoalScenario: Sendable {
    public let token: String
    public let userID: String

    public init(token: String, userID: String) {
        self.token = token
        self.userID = userID
    }

    /// A goal of this user; `body` adds or overrides fields (default: +5% this month on 10,000).
    public func createGoal(_ app: KeelTestApp, _ body: [String: any Sendable] = [:]) async throws -> [String: Any] {
        var fields: [String: any Sendable] = ["user_id": userID, "goal_type": "monthly_return", "target_value": 5, "starting_value": 10_000]
        for (key, value) in body { fields[key] = value }
        let response = try await app.request(.POST, "/api/goals", token: token, json: fields)
        guard response.status == .ok, response.object.string("goal_id") != nil else { throw TestSetupError("create goal: \(response)") }
        return response.object
    }

    /// Records a closed LONG round trip of 0.5 BTCUSDT that made `profit` (negative: a loss).
    @discardableResult
    public func closedTrade(_ app: KeelTestApp, profit: Double, strategyID: String? = nil) async throws -> [String: Any] {
        var body: [String: any Sendable] = ["user_id": userID, "symbol": "BTCUSDT", "side": "LONG", "quantity": 0.5, "entry_price": 50_000,
                                            "exit_price": 50_000 + profit * 2]
        if let strategyID { body["strategy_id"] = strategyID }
        let response = try await app.request(.POST, "/api/trades", token: token, json: body)
        guard response.status == .ok else { throw TestSetupError("record trade: \(response)") }
        return response.object
    }

    public func goal(_ app: KeelTestApp, _ id: String, _ suffix: String = "") async throws -> TestResponse {
        try await app.request(.GET, "/api/goals/\(id)\(suffix)", token: token)
    }
}
