import Foundation
import Vapor

/// Two clients, each with a paper account and a linked client login, and client B's own records (an open
/// batch, an account goal, a trade and a strategy instance of B's login): what a tenant test attacks from A.
public struct TenantScenario: Sendable {
    public struct Tenant: Sendable {
        public let scenario: TradingScenario
        public let login: String
        public let password: String
        public let token: String
        public let email: String
    }

    public let advisorToken: String
    public let adminToken: String
    public let a: Tenant
    public let b: Tenant
    public let bBatchID: String
    public let bGoalID: String
    public let bTradeID: String
    public let bStrategyID: String

    public static func make(_ app: KeelTestApp) async throws -> TenantScenario {
        let admin = try await app.loginAdmin()
        func tenant(_ name: String, seed: UInt64) async throws -> Tenant {
            let factory = Factory(seed: seed)
            let scenario = try await TradingScenario.make(app, factory: factory)
            let password = "\(name)-long-secret-9"
            let created = try await app.request(.POST, "/api/users", token: admin, json: ["user_id": name, "password": password, "role": "client"])
            guard created.status == .ok else { throw TestSetupError("create \(name): \(created)") }
            let linked = try await app.request(.PATCH, "/api/clients/\(scenario.clientID)", token: scenario.token, json: ["user_id": name])
            guard linked.status == .ok, let email = linked.object.string("email") else { throw TestSetupError("link \(name): \(linked)") }
            return Tenant(scenario: scenario, login: name, password: password, token: try await app.login(name, password: password), email: email)
        }
        let a = try await tenant("tenant-alice", seed: 41)
        let b = try await tenant("tenant-bob", seed: 42)
        let staff = b.scenario.token
        guard let batch = try await b.scenario.rebalance(app).object.string("batch_id") else { throw TestSetupError("B's batch") }
        let goal = try await app.request(.POST, "/api/goals", token: staff, json: [
            "user_id": b.login, "account_hash": b.scenario.accountHash, "goal_type": "monthly_return", "target_value": 4])
        let trade = try await app.request(.POST, "/api/trades", token: staff, json: [
            "user_id": b.login, "client_id": b.scenario.clientID, "symbol": "AAPL", "side": "LONG", "quantity": 3, "entry_price": 100])
        let strategy = try await app.request(.POST, "/api/strategy-instances", token: staff, json: ["user_id": b.login, "strategy_type": "momentum"])
        guard let goalID = goal.object.string("goal_id"), let tradeID = trade.object.string("trade_id"),
              let strategyID = strategy.object.string("strategy_id") else {
            throw TestSetupError("B's records: \(goal) \(trade) \(strategy)")
        }
        return TenantScenario(advisorToken: staff, adminToken: admin, a: a, b: b, bBatchID: batch, bGoalID: goalID, bTradeID: tradeID,
                              bStrategyID: strategyID)
    }

    /// Values that identify B's records; none may appear in an answer given to anyone but B or staff.
    public var bMarkers: [String] {
        [b.email, b.scenario.accountHash, bBatchID, bGoalID, bTradeID, bStrategyID]
    }

    /// A concrete path for a registered route, with every parameter pointing at one of B's records.
    public func path(for route: Route) -> String {
        let parts = route.path.map { component -> String in
            switch component {
            case .constant(let text): return text
            case .parameter(let name): return parameter(name)
            case .anything: return "x"
            case .catchall: return "x/y"
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    public func parameter(_ name: String) -> String {
        switch name {
        case "client_id": String(b.scenario.clientID)
        case "account_hash": b.scenario.accountHash
        case "batch_id": bBatchID
        case "goal_id": bGoalID
        case "trade_id": bTradeID
        case "strategy_id": bStrategyID
        case "user_id": b.login
        case "symbol": "AAPL"
        default: "1"
        }
    }

    /// Query and body aimed at B: every id a route could read from either.
    public var query: String {
        "client_id=\(b.scenario.clientID)&user_id=\(b.login)&account_hash=\(b.scenario.accountHash)&goal_id=\(bGoalID)&batch_id=\(bBatchID)"
    }

    public var body: [String: any Sendable] {
        ["client_id": b.scenario.clientID, "user_id": b.login, "account_hash": b.scenario.accountHash, "batch_id": bBatchID,
         "goal_id": bGoalID, "trade_id": bTradeID, "strategy_id": bStrategyID, "dry_run": true, "portfolio_id": 1, "max_positions": 5,
         "require_approval": false, "goal_type": "monthly_return", "target_value": 9, "max_factor": 2.0, "symbol": "AAPL", "side": "LONG",
         "quantity": 1, "entry_price": 100, "exit_price": 101, "strategy_type": "momentum", "first_name": "Mallory", "status": "deactivated",
         "engaged": true, "paused": true, "reason": "tenant test", "exit_time": "2026-01-01"]
    }
}
