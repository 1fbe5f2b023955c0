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
        /// Monthly rebalances replayed into the demo account on this start (nil: it already had its history).
        public var replayedBatches: Int?
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
            // A drawdown limit, so the cycle watches one: past it, the account is moved to the defensive portfolio and an alert is raised.
            _ = try await services.preferences.update(clientID: client.clientID, with: PreferencesInput(maxDrawdownLimit: 0.15), by: advisor)
        }
        let accounts = try await services.accounts.list(clientID: client.clientID, by: advisor)
        var account = accounts.first
        if account == nil {
            account = try await services.accounts.link(AccountLinkInput(clientID: client.clientID, brokerageID: AccountService.paperBrokerageID, accountNumber: nil,
                             accountHash: nil, accountType: "individual", nickname: "Demo paper account", startingCash: 100_000),
            by: advisor)
        }
        // A year of the account's life, once: monthly rebalances replayed on the simulated prices. Then, on that
        // first start only, a return model trained on the same prices (deployed once trained) and today's cycle,
        // whose batch for the demo account waits in the approval queue.
        var replayed: DemoHistorySeeder.Outcome?
        if let account {
            replayed = try await DemoHistorySeeder(context: services.context).seed(client: client, account: account)
        }
        if replayed != nil {
            let symbol = services.context.settings.cycle.regimeSymbol
            if let bounds = try await database.read({ try await $0.marketBars.bounds(symbol: symbol, interval: "1d") }) {
                let submitted = try await services.training.submit(MLTrainingRequest(modelType: "ridge", symbols: nil, portfolioId: 1,
                                                                                     from: CivilDay(bounds.first.timestamp).description,
                                                                                     to: CivilDay(bounds.last.timestamp).description, horizonDays: 21, seed: 7),
                                                                   by: system, jobs: services.jobs)
                _ = try await services.jobs.enqueue(kind: DemoModelDeployJobHandler.kind, payload: try StoredJSON.encode(["model_id": submitted.modelID]),
                                                    idempotencyKey: "demo-deploy:\(submitted.modelID)")
            }
            do {
                _ = try await services.cycles.run(CycleRequest(), by: system)
            } catch let error as ServiceError where error.kind == .conflict {
                // Today's cycle already runs (a second process seeded at the same time): nothing to add.
            }
        }
        // A first goal, so the goals page and goal-steered rebalancing show something: +3% this month on the account.
        if let account, try await services.goals.list(userID: nil, clientID: client.clientID, status: nil, by: advisor).isEmpty {
            _ = try await services.goals.create(GoalInput(userID: client.tradingUserID, goalType: GoalType.monthlyReturn.rawValue, targetValue: 3,
                                                          accountHash: account.accountHash), by: advisor)
        }
        return Result(market: market, createdAdvisorPassword: createdPassword, clientID: client.clientID, accountHash: account?.accountHash ?? "",
                      replayedBatches: replayed?.batches)
    }
}
