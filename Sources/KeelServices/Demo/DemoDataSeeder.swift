import Foundation
import KeelCore
import KeelStore

/// The embedded demo: simulated prices, one advisor and one paper-funded client on the growth portfolio.
/// Idempotent: a second start finds the demo client and only extends the price history.
public struct DemoDataSeeder: Sendable {
    public static let advisorUserID = "advisor"
    public static let clientEmail = "dana.demo@example.com"

    let services: KeelServices

    public init(services: KeelServices) {
        self.services = services
    }

    public struct Result: Sendable {
        public var market: DemoMarketSeeder.Result
        /// The advisor's password when this run created the advisor (shown once).
        public var createdAdvisorPassword: String?
        public var clientID: Int
        public var accountHash: String
    }

    public func seed(advisorPassword: String?) async throws -> Result {
        let market = try await services.demoMarket.seed()
        let database = services.context.database
        let system = Principal(userID: "admin", role: .admin, clientID: nil)
        var createdPassword: String?
        if try await database.read({ try await $0.users.find(Self.advisorUserID) }) == nil {
            let password = advisorPassword ?? AuthService.randomToken().prefix(16).description
            _ = try await services.auth.createUser(by: system, userID: Self.advisorUserID, password: password, role: .advisor,
                                                   displayName: "Demo Advisor")
            // A password the operator chose (KEEL_DEMO_PASSWORD) is theirs; only a generated one is shown.
            createdPassword = advisorPassword == nil ? password : nil
        }
        let advisor = Principal(userID: Self.advisorUserID, role: .advisor, clientID: nil)
        let client: ClientRecord
        if let existing = try await database.read({ try await $0.clients.find(email: Self.clientEmail) }) {
            client = existing
        } else {
            client = try await services.clients.create(ClientInput(firstName: "Dana", lastName: "Demo", email: Self.clientEmail,
                                                                   riskTolerance: "aggressive", investmentHorizonYears: 15, portfolioID: 1),
                                                       by: advisor)
        }
        let accounts = try await services.accounts.list(clientID: client.clientID, by: advisor)
        var account = accounts.first
        if account == nil {
            account = try await services.accounts.link(AccountLinkInput(clientID: client.clientID, brokerageID: AccountService.paperBrokerageID, accountNumber: nil,
                             accountHash: nil, accountType: "individual", nickname: "Demo paper account", startingCash: 100_000),
            by: advisor)
        }
        // A first goal, so the goals page and goal-steered rebalancing show something: +3% this month on the account.
        if let account, try await services.goals.list(userID: nil, clientID: client.clientID, status: nil, by: advisor).isEmpty {
            _ = try await services.goals.create(GoalInput(userID: client.tradingUserID, goalType: GoalType.monthlyReturn.rawValue, targetValue: 3,
                                                          accountHash: account.accountHash), by: advisor)
        }
        return Result(market: market, createdAdvisorPassword: createdPassword, clientID: client.clientID, accountHash: account?.accountHash ?? "")
    }
}
