import Foundation
import KeelBrokers
import KeelCore
import KeelML
import KeelStore
import Logging

/// Every workflow, wired once from one context: the object the API and the CLI hold.
public struct KeelServices: Sendable {
    public let context: ServiceContext
    public let brokers: BrokerRegistry
    public let auth: AuthService
    public let clients: ClientService
    public let preferences: PreferencesService
    public let accounts: AccountService
    public let predictions: PredictionService
    public let rebalancing: RebalanceService
    public let approvals: ApprovalService
    public let execution: ExecutionService
    public let reconciliation: ReconciliationService
    public let health: PortfolioHealthService
    public let system: SystemControlService
    public let demoMarket: DemoMarketSeeder
    public let pipeline: PipelineService
    public let marketData: MarketDataQueries

    public init(context: ServiceContext, hasher: any PasswordHashing, predictor: any ReturnPredictor = MomentumBaselineModel(),
                schwabBroker: (any Broker)? = nil) {
        self.context = context
        let paper = PaperBroker(ledger: DatabasePaperBrokerLedger(database: context.database),
                                quoteSource: DatabaseQuoteSource(database: context.database),
                                costs: context.settings.paperCosts, clock: context.clock)
        brokers = BrokerRegistry(paper: paper, schwab: schwabBroker)
        auth = AuthService(context: context, hasher: hasher)
        clients = ClientService(context: context)
        preferences = PreferencesService(context: context)
        accounts = AccountService(context: context)
        predictions = PredictionService(context: context, predictor: predictor)
        rebalancing = RebalanceService(context: context, predictor: predictor)
        approvals = ApprovalService(context: context)
        execution = ExecutionService(context: context, brokers: brokers)
        reconciliation = ReconciliationService(context: context, brokers: brokers)
        health = PortfolioHealthService(context: context)
        system = SystemControlService(context: context)
        demoMarket = DemoMarketSeeder(context: context)
        pipeline = PipelineService(context: context)
        marketData = MarketDataQueries(context: context)
    }
}
