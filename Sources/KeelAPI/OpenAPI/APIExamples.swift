import Foundation

/// Request examples shown in `/openapi.json` and `/docs` for the routes a newcomer starts with.
enum APIExamples {
    static let login = LoginRequest(userId: "advisor", password: "your-password")

    static let client = ClientRequest(firstName: "Ada", lastName: "Lovelace", email: "ada@example.com", phone: "+1 555 0100",
                                      dateOfBirth: "1985-12-10", riskTolerance: "moderate", investmentHorizonYears: 15, portfolioId: 1)

    static let linkAccount = AccountLinkRequest(clientId: 1, brokerageId: 1, accountNumber: "PAPER-0001", accountType: "individual",
                                                nickname: "Growth", startingCash: 100_000)

    static let cashFlow = CashFlowRequest(amount: 25_000, note: "quarterly contribution")

    static let preferences = PreferencesRequest(portfolioId: 1, maxPositions: 10, maxWeight: 0.25, cashBuffer: 0.02, driftThreshold: 0.05,
                                                excludedSymbols: ["TSLA"], requireApproval: true, tradingMode: "paper")

    static let rebalance = RebalanceBody(clientId: 1, accountHash: "paper-7f3a9c", maxPositions: 10, requireApproval: true)

    static let reject = RejectBody(reason: "client asked to wait until after earnings")

    static let execute = ExecuteBody(batchId: "b_2f9c1e", dryRun: true)

    static let goal = GoalBody(name: "5% this month", goalType: "monthly_return", targetValue: 0.05, periodStart: "2026-12-01",
                               periodEnd: "2026-12-31", clientId: 1, accountHash: "paper-7f3a9c")

    static let backtest = BacktestBody(strategy: "momentum", symbols: ["AAPL", "MSFT", "NVDA"], from: "2022-01-03", to: "2024-12-31",
                                       cash: 100_000, fill: "next-open")

    static let rlTraining = RLTrainBody(portfolioId: 4, from: "2021-01-04", to: "2025-12-31", episodes: 400,
                                        params: ["learning_rate": 0.05, "temperature": 0.5, "holdings": 8], seed: 7)

    static let training = MLTrainBody(modelType: "gbdt", symbols: ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"], from: "2021-01-04", to: "2025-12-31",
                                      horizonDays: 20, params: ["trees": 200, "learning_rate": 0.05, "max_depth": 6], seed: 7)

    static let cycleRun = CycleRunBody(clientIds: [1, 2], asOf: nil, dryRun: false)

    static let strategyOverride = StrategyOverrideBody(strategy: "low_volatility", until: Date(timeIntervalSince1970: 1_893_456_000),
                                                       reason: "client asked to stay defensive until the house sale closes")
}
