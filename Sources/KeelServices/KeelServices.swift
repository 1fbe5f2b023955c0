import Foundation
import KeelBrokers
import KeelCore
import KeelML
import KeelStore
import Logging
import AsyncHTTPClient

/// Every workflow, wired once from one context: the object the API and the CLI hold.
public struct KeelServices: Sendable {
    public let context: ServiceContext
    public let brokers: BrokerRegistry
    public let auth: AuthService
    public let clients: ClientService
    public let preferences: PreferencesService
    public let accounts: AccountService
    /// Deposits and withdrawals, booked apart from performance.
    public let cashFlows: CashFlowService
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
    public let backtests: BacktestJobs
    public let training: ModelTrainingService
    public let regimes: RegimeService
    public let models: ModelRegistryService
    public let goals: GoalService
    public let alerts: AlertQueries
    public let tax: TaxService
    public let trades: TradeService
    public let strategyInstances: StrategyInstanceService
    /// The autonomous daily cycle: runs, steps, status.
    public let cycles: AutonomousCycleService
    /// Per-client pause and strategy override.
    public let controls: ClientControlService
    /// Sends queued alert webhooks; nil when no webhook URL is configured.
    public let webhooks: WebhookDispatcher?

    /// Splits recorded ahead of their ex-date and applied to the books when it begins.
    public let corporateActions: CorporateActionService
    /// Schwab linking and live trading; nil when no Schwab app is configured.
    public let schwab: SchwabLinkService?
    /// Durable background work: the queue API and this process's worker.
    public let jobs: JobService
    public let runner: JobRunner

    public init(context: ServiceContext, hasher: any PasswordHashing, predictor: any ReturnPredictor = MomentumBaselineModel(),
                schwab schwabSetup: SchwabSetup? = nil, webhookSender: (any WebhookSender)? = nil,
                jobSettings: JobRunnerSettings = JobRunnerSettings(), duties: [PeriodicDuty] = [], extraJobHandlers: [any JobHandler] = [],
                cycleFaults: CycleFaults? = nil) {
        self.context = context
        webhooks = context.settings.alertWebhookURL != nil ? webhookSender.map { WebhookDispatcher(context: context, sender: $0) } : nil
        goals = GoalService(context: context, webhooks: webhooks)
        alerts = AlertQueries(context: context, goals: goals)
        tax = TaxService(context: context)
        corporateActions = CorporateActionService(context: context)
        trades = TradeService(context: context, webhooks: webhooks)
        strategyInstances = StrategyInstanceService(context: context)
        let paper = PaperBroker(ledger: DatabasePaperBrokerLedger(database: context.database),
                                quoteSource: DatabaseQuoteSource(database: context.database),
                                costs: context.settings.paperCosts, clock: context.clock,
                                corporateActions: DatabaseCorporateActionSource(database: context.database))
        if let setup = schwabSetup {
            let client = SchwabClient(configuration: setup.configuration, http: setup.http, clock: context.clock)
            let tokens = SchwabTokenManager(context: context, client: client, box: SecretBox(secret: setup.secretKey))
            let broker = SchwabBroker(client: client, tokens: tokens, clock: context.clock)
            schwab = SchwabLinkService(context: context, client: client, tokens: tokens, broker: broker)
        } else {
            schwab = nil
        }
        let brokers = BrokerRegistry(paper: paper, schwab: schwab?.broker)
        self.brokers = brokers
        auth = AuthService(context: context, hasher: hasher)
        clients = ClientService(context: context)
        preferences = PreferencesService(context: context)
        accounts = AccountService(context: context)
        cashFlows = CashFlowService(context: context)
        let active = ActivePredictor(baseline: predictor, context: context)
        predictions = PredictionService(context: context, predictor: predictor, active: active)
        rebalancing = RebalanceService(context: context, predictor: predictor, accountSync: schwab?.sync, goals: goals, active: active)
        approvals = ApprovalService(context: context)
        execution = ExecutionService(context: context, brokers: brokers, goals: goals)
        reconciliation = ReconciliationService(context: context, brokers: brokers)
        health = PortfolioHealthService(context: context)
        system = SystemControlService(context: context, brokers: brokers)
        demoMarket = DemoMarketSeeder(context: context)
        pipeline = PipelineService(context: context, schwab: schwab, goals: goals)
        marketData = MarketDataQueries(context: context)
        backtests = BacktestJobs(context: context)
        training = ModelTrainingService(context: context)
        regimes = RegimeService(context: context)
        models = ModelRegistryService(context: context)
        controls = ClientControlService(context: context)
        let queueBox = LockedValue<JobService?>(nil)
        let cycles = AutonomousCycleService(context: context, system: system, jobs: { queueBox.value })
        self.cycles = cycles
        let coordinator = CycleCoordinator(context: context, pipeline: pipeline, regimes: regimes, faults: cycleFaults)
        let accountRunner = AccountCycleRunner(context: context, rebalancing: rebalancing, execution: execution, reconciliation: reconciliation,
                                               faults: cycleFaults)
        let cycleHandlers: [any JobHandler] = [
            CycleJobHandler(coordinator: coordinator),
            AccountCycleJobHandler(runner: accountRunner, concurrency: context.settings.cycle.accountConcurrency),
            CycleChunkJobHandler(runner: accountRunner, concurrency: context.settings.cycle.chunkConcurrency),
            DutyHandler(kind: PeriodicDuty.cycleSchedule) { _ in
                try await cycles.runScheduledIfDue().map { try StoredJSON.encode(["cycle_id": $0]) }
            },
        ]

        let handlers = Self.jobHandlers(backtests: backtests, reconciliation: reconciliation, goals: goals, schwab: schwab, webhooks: webhooks,
                                        logger: context) + [PipelineJobHandler(pipeline: pipeline), MLTrainingJobHandler(training: training), RLTrainingJobHandler(training: training),
                                        DemoModelDeployJobHandler(models: models)] + cycleHandlers + extraJobHandlers
        runner = JobRunner(context: context, handlers: handlers, duties: duties, settings: jobSettings)
        jobs = JobService(context: context, handlers: handlers, runner: runner)
        let queue0 = jobs
        queueBox.update { $0 = queue0 }
        let queue = jobs, clock = context.clock
        webhooks?.setKicker {
            // One queued run per second at most; the kind runs one at a time.
            let second = Int(clock.now().timeIntervalSince1970)
            _ = try? await queue.enqueue(kind: PeriodicDuty.webhookDelivery, payload: "{}", idempotencyKey: "webhook-kick:\(second)")
        }
    }

    /// Every job kind this build runs. The periodic duties are kinds too: each has its own schedule, failures
    /// and history, so one failing no longer skips the others.
    static func jobHandlers(backtests: BacktestJobs, reconciliation: ReconciliationService, goals: GoalService, schwab: SchwabLinkService?,
                            webhooks: WebhookDispatcher?, logger context: ServiceContext) -> [any JobHandler] {
        [
            BacktestJobHandler(jobs: backtests),
            DutyHandler(kind: PeriodicDuty.reconcile) { _ in
                let report = try await reconciliation.reconcile()
                return try StoredJSON.encode(["orders_resolved": report.ordersResolved, "orders_still_unknown": report.ordersStillUnknown,
                                              "batches_finished": report.batchesFinished, "mismatches": report.mismatches.count])
            },
            DutyHandler(kind: PeriodicDuty.schwabTokenWatch) { _ in
                try await schwab?.tokens.watchAll()
                return nil
            },
            DutyHandler(kind: PeriodicDuty.goalRemeasure) { _ in
                // Goal periods end with time, not only with trades.
                try await goals.reevaluateAll(trigger: "scheduled")
                return nil
            },
            DutyHandler(kind: PeriodicDuty.webhookDelivery) { _ in
                let delivered = try await webhooks?.deliverDue() ?? 0
                return try StoredJSON.encode(["delivered": delivered])
            },
        ]
    }
}

/// What Keel needs to talk to Schwab: the registered app, an HTTP client, and the key tokens are sealed with.
public struct SchwabSetup: Sendable {
    public var configuration: SchwabConfiguration
    public var http: HTTPClient
    public var secretKey: String

    public init(configuration: SchwabConfiguration, http: HTTPClient, secretKey: String) {
        self.configuration = configuration
        self.http = http
        self.secretKey = secretKey
    }
}
