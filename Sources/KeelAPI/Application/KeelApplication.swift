import Fluent
import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelWorkspace
import Vapor

struct KeelServicesKey: StorageKey {
    typealias Value = KeelServices
}

extension Application {
    public var keel: KeelServices {
        guard let services = storage[KeelServicesKey.self] else { fatalError("configureKeel(_:_:) has not run on this application") }
        return services
    }
}

/// What start-up did that an operator must see once (generated passwords, the demo client).
public struct StartupReport: Sendable {
    public var generatedAdminPassword: String?
    public var demo: DemoDataSeeder.Result?
}

/// The one composition root: database, migrations, services, middleware and routes, from a configuration.
/// `keel serve` and every integration test build the application with this function.
@discardableResult
public func configureKeel(_ app: Application, _ configuration: KeelConfiguration) async throws -> StartupReport {
    KeelJSON.install()
    _ = MetricsBackend.registry
    app.logger.logLevel = configuration.logLevel
    app.http.server.configuration.hostname = configuration.hostname
    app.http.server.configuration.port = configuration.port
    app.routes.defaultMaxBodySize = "1mb"
    app.http.server.configuration.idleTimeout = .milliseconds(Int64(max(configuration.idleTimeout, 0.1) * 1000))

    try configuration.database.register(on: app.databases, poolSize: configuration.databasePoolSize)
    KeelMigrations.register(on: app.migrations)
    let database = KeelDatabase(database: app.db)
    try await database.prepareConnection()
    if configuration.migrateOnStart {
        try await app.autoMigrate()
    }

    let compute = ComputeExecutor(threads: configuration.computeThreads)
    // Registered before the worker: Vapor shuts handlers down in reverse, so the jobs stop before their threads.
    app.lifecycle.use(ComputeLifecycle(compute: compute))
    let context = ServiceContext(database: database, clock: configuration.clock, settings: configuration.settings, logger: app.logger,
                                 compute: compute)
    var schwab: SchwabSetup?
    if let schwabConfiguration = configuration.schwab {
        schwab = SchwabSetup(configuration: schwabConfiguration, http: app.http.client.shared, secretKey: try secretKey(for: configuration))
    }
    let services = KeelServices(context: context, hasher: BcryptPasswordHasher(cost: configuration.bcryptCost), schwab: schwab,
                                webhookSender: configuration.webhookSender ?? HTTPWebhookSender(http: app.http.client.shared),
                                jobSettings: configuration.jobSettings,
                                duties: configuration.duties ?? configuration.reconcileInterval.map(PeriodicDuty.standard(interval:)) ?? [],
                                extraJobHandlers: configuration.extraJobHandlers, cycleFaults: configuration.cycleFaults)
    app.storage[KeelServicesKey.self] = services
    if configuration.secretKey == nil, !configuration.database.isEmbedded {
        app.logger.warning("KEEL_SECRET_KEY is not set: workspace forms are signed with a key of this process only (forms open across a restart or on another process ask to sign in again)")
    }
    app.storage[WebSessionKeysKey.self] = WebSessionKeys(secretKey: configuration.secretKey ?? (configuration.database.isEmbedded ? try? secretKey(for: configuration) : nil),
                                                         publicURL: configuration.publicURL)

    app.middleware = Middlewares()
    app.middleware.use(SecurityHeadersMiddleware())
    app.middleware.use(RequestIDMiddleware())
    // Method, path (never the query: a callback's code or state stays out of the log) and request_id.
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(KeelErrorMiddleware())
    app.middleware.use(RequestSanityMiddleware())
    try registerRoutes(app, services: services, configuration: configuration)

    var report = StartupReport()
    if configuration.bootstrapAdmin {
        report.generatedAdminPassword = try await services.auth.bootstrapAdmin(password: configuration.adminPassword)
    }
    // Accounts whose fills predate the lot ledger get their lots rebuilt from those fills (once; nothing to do after).
    let rebuilt = try await services.tax.backfill()
    if rebuilt > 0 { app.logger.notice("tax lots rebuilt from the fills of \(rebuilt) account(s)") }
    if configuration.seedDemo {
        report.demo = try await DemoDataSeeder(services: services).seed(advisorPassword: configuration.demoAdvisorPassword)
    }
    if configuration.reconcileOnStart {
        let reconciliation = try await services.reconciliation.reconcile(inFlightGrace: 0)
        if reconciliation.ordersResolved + reconciliation.batchesFinished > 0 || !reconciliation.mismatches.isEmpty {
            app.logger.notice("start-up reconciliation: \(reconciliation.ordersResolved) order(s) resolved, \(reconciliation.batchesFinished) batch(es) finished, \(reconciliation.mismatches.count) mismatch(es)")
        }
    }
    // Alerts queued before a stop (or whose retries were waiting) go out now.
    await services.webhooks?.kick()
    if configuration.runWorker {
        let wakeupURL: String? = if case .postgres(let url) = configuration.database { url } else { nil }
        app.lifecycle.use(JobWorkerLifecycle(runner: services.runner, wakeupURL: wakeupURL))
    }
    return report
}

/// Every route, each controller built with exactly the services it uses.
func registerRoutes(_ app: Application, services keel: KeelServices, configuration: KeelConfiguration) throws {
    let context = keel.context, clock = context.clock
    try app.register(collection: HealthController(system: keel.system, cycles: keel.cycles, marketData: keel.marketData, clock: clock,
                                                  schwabConfigured: keel.schwab != nil))
    try app.register(collection: DashboardController())
    try app.registerSessionPages(WorkspaceController(
        auth: keel.auth, approvalsService: keel.approvals, overviewQuery: OverviewQuery(cycles: keel.cycles),
        approvalQueue: ApprovalQueueQuery(approvals: keel.approvals, execution: keel.execution, regimes: keel.regimes, settings: context.settings)), on: app)
    let sessionPages = app.grouped("app").grouped(WebSessionMiddleware(auth: keel.auth))
    for pages: any RouteCollection in [
        WorkspaceClientsController(query: ClientPagesQuery(context: context, schwabConfigured: keel.schwab != nil), clients: keel.clients,
                                   preferences: keel.preferences, accounts: keel.accounts, rebalancing: keel.rebalancing, approvals: keel.approvals,
                                   execution: keel.execution, schwab: keel.schwab, tax: keel.tax),
        WorkspaceOperationsController(query: OperationsQuery(jobs: keel.jobs, alerts: keel.alerts)),
        WorkspaceAutonomousController(query: AutonomousQuery(context: context, cycles: keel.cycles, regimes: keel.regimes, backtests: keel.backtests),
                                      cycles: keel.cycles, controls: keel.controls, system: keel.system),
        WorkspaceGoalsController(query: GoalsQuery(context: context, goals: keel.goals), goals: keel.goals),
        WorkspaceModelsController(query: ModelsQuery(context: context, models: keel.models, jobs: keel.jobs), models: keel.models,
                                  training: keel.training, jobs: keel.jobs),
        WorkspaceDataController(query: DataQuery(context: context, marketData: keel.marketData, corporateActions: keel.corporateActions),
                                corporateActions: keel.corporateActions),
        WorkspaceBacktestsController(query: BacktestsQuery(context: context, backtests: keel.backtests), backtests: keel.backtests, jobs: keel.jobs),
    ] {
        try app.registerSessionPages(pages, on: sessionPages)
    }
    try app.register(collection: OpenAPIController())
    let api = app.grouped("api")
    try api.register(collection: AuthController(publicRoutes: true, auth: keel.auth, clock: clock))
    let secured = api.grouped(BearerAuthMiddleware(auth: keel.auth))
    for collection: any RouteCollection in [
        AuthController(publicRoutes: false, auth: keel.auth, clock: clock),
        ClientController(clients: keel.clients, accountService: keel.accounts, preferenceService: keel.preferences),
        AccountController(accounts: keel.accounts, cashFlowService: keel.cashFlows),
        TradingController(approvals: keel.approvals, execution: keel.execution, healthService: keel.health, predictions: keel.predictions,
                          rebalancing: keel.rebalancing),
        SystemController(system: keel.system, reconciliation: keel.reconciliation),
        DataController(marketData: keel.marketData, pipeline: keel.pipeline, jobs: keel.jobs, clock: clock,
                       importRoot: configuration.dataImportRoot),
        BacktestController(backtests: keel.backtests, jobs: keel.jobs),
        GoalController(goals: keel.goals),
        TradeController(trades: keel.trades, strategyInstances: keel.strategyInstances),
        AlertController(alertQueries: keel.alerts),
        SchwabController(publicRoutes: false, schwab: keel.schwab),
        JobController(jobs: keel.jobs),
        ModelController(models: keel.models, training: keel.training, jobs: keel.jobs),
        RegimeController(regimes: keel.regimes),
        AutonomousController(controlService: keel.controls, cycles: keel.cycles, regimeSymbol: context.settings.cycle.regimeSymbol),
        TaxController(tax: keel.tax),
        CorporateActionController(corporateActions: keel.corporateActions),
    ] {
        try app.registerSecured(collection, on: secured)
    }
    try app.registerSecured(MetricsController(jobs: keel.jobs), on: app.grouped(MetricsAuthMiddleware(
        scrapeToken: configuration.metricsToken, sessions: BearerAuthMiddleware(auth: keel.auth))))
    try api.register(collection: SchwabController(publicRoutes: true, schwab: keel.schwab))
    try OpenAPIController.install(on: app, version: OpenAPIController.apiVersion)
}

/// The key that seals broker tokens: configured, or for the embedded database a generated one kept beside it.
/// A server database without a configured key is refused: tokens sealed with a throwaway key would be lost.
func secretKey(for configuration: KeelConfiguration) throws -> String {
    if let key = configuration.secretKey, !key.isEmpty { return key }
    guard case .sqlite(let path) = configuration.database else {
        throw ServiceError(.unavailable, code: "secret_key_missing",
                           message: "Schwab is configured but KEEL_SECRET_KEY is not set; generate one with `openssl rand -base64 32`")
    }
    let file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("secret.key")
    if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !existing.isEmpty {
        return existing
    }
    let key = SecretBox.generateKey()
    try key.write(to: file, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    return key
}

/// Applies pending migrations only (the `keel migrate` command).
public func migrateKeel(_ app: Application, location: DatabaseLocation) async throws {
    try location.register(on: app.databases)
    KeelMigrations.register(on: app.migrations)
    try await KeelDatabase(database: app.db).prepareConnection()
    try await app.autoMigrate()
}
