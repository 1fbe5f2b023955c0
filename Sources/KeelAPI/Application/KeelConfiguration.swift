import Foundation
import KeelCore
import KeelServices
import KeelStore
import Logging
import KeelBrokers

/// Everything the composition root needs, as one typed value. The CLI builds it from flags and
/// environment; tests build it directly.
public struct KeelConfiguration: Sendable {
    public var database: DatabaseLocation
    public var hostname: String
    public var port: Int
    /// Seed simulated prices, a demo advisor and a funded paper client at start.
    public var seedDemo: Bool
    /// The first admin's password; a random one is generated and printed once when nil.
    public var adminPassword: String?
    /// The demo advisor's password; random and printed once when nil.
    public var demoAdvisorPassword: String?
    public var settings: ServiceSettings
    public var clock: any KeelClock
    public var bcryptCost: Int
    /// Apply pending migrations at start (tests that use a pre-migrated template turn this off).
    public var migrateOnStart: Bool
    /// Settle interrupted executions with the broker at start.
    public var reconcileOnStart: Bool
    /// How often the periodic duties (reconciliation, Schwab token watch, goal re-measurement) run as jobs;
    /// nil schedules none (tests run them explicitly).
    public var reconcileInterval: TimeInterval?
    /// Run a job worker in this process (`keel serve` does unless --no-worker; `keel worker` is only that).
    public var runWorker: Bool = true
    public var jobSettings: JobRunnerSettings = JobRunnerSettings()
    /// Job kinds beyond Keel's own (tests register probes here).
    public var extraJobHandlers: [any JobHandler] = []
    /// Tests: make the autonomous cycle die after chosen steps, to prove it resumes without repeating them.
    public var cycleFaults: CycleFaults? = nil
    /// Periodic duties to schedule instead of the standard set derived from `reconcileInterval`.
    public var duties: [PeriodicDuty]? = nil
    /// Create the first admin when there is none (off for one-shot CLI commands, which cannot show its password safely).
    public var bootstrapAdmin: Bool = true
    /// A folder the API may import CSV files from (`POST /api/data/pipeline/runs` with a path); nil forbids
    /// server-side paths over HTTP.
    public var dataImportRoot: String? = nil
    /// The registered Schwab app (and where Schwab is); nil: Schwab linking and live trading are off.
    public var schwab: SchwabConfiguration? = nil
    /// Key that seals broker tokens at rest (KEEL_SECRET_KEY). Required with Schwab on a server database;
    /// the embedded mode keeps a generated one in keel-data/secret.key.
    public var secretKey: String? = nil
    /// How alert webhooks are sent (the URL is `settings.alertWebhookURL`); nil: over HTTP with the app's client.
    public var webhookSender: (any WebhookSender)? = nil
    /// A connection on which nothing moves either way for this long is closed: idle keep-alive connections, and
    /// requests whose headers stop arriving (slow clients).
    public var idleTimeout: TimeInterval = 30
    /// Keel's public URL (KEEL_PUBLIC_URL): when it is https, the workspace's cookies are `Secure`.
    public var publicURL: String? = nil
    /// Threads for CPU-bound work (training, evaluation, backtests), apart from the pool serving HTTP
    /// (KEEL_COMPUTE_THREADS; default one fewer than the cores, at least one).
    public var computeThreads: Int = ComputeExecutor.defaultThreads
    /// The bearer token Prometheus scrapes `/metrics` with (no session needed); nil: staff sessions only.
    public var metricsToken: String? = nil
    /// Database pool: connections per event loop (PostgreSQL).
    public var databasePoolSize: Int
    public var logLevel: Logger.Level

    public init(database: DatabaseLocation, hostname: String = "127.0.0.1", port: Int = 8080, seedDemo: Bool = false,
                adminPassword: String? = nil, demoAdvisorPassword: String? = nil, settings: ServiceSettings = ServiceSettings(),
                clock: any KeelClock = SystemClock(), bcryptCost: Int = 12, migrateOnStart: Bool = true, reconcileOnStart: Bool = true,
                reconcileInterval: TimeInterval? = nil, databasePoolSize: Int = 8, logLevel: Logger.Level = .info) {
        self.database = database
        self.hostname = hostname
        self.port = port
        self.seedDemo = seedDemo
        self.adminPassword = adminPassword
        self.demoAdvisorPassword = demoAdvisorPassword
        self.settings = settings
        self.clock = clock
        self.bcryptCost = bcryptCost
        self.migrateOnStart = migrateOnStart
        self.reconcileOnStart = reconcileOnStart
        self.reconcileInterval = reconcileInterval
        self.databasePoolSize = databasePoolSize
        self.logLevel = logLevel
    }

    /// The embedded default: a SQLite file under ./keel-data/.
    public static let embeddedDatabasePath = "keel-data/keel.sqlite"
}
