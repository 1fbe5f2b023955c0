import Foundation

/// Every environment variable Keel reads, in one place: `keel serve --help` and `keel worker --help` list them,
/// and commands read them only through `value`.
enum KeelEnvironment: String, CaseIterable {
    case databaseURL = "KEEL_DATABASE_URL"
    case adminPassword = "KEEL_ADMIN_PASSWORD"
    case demoPassword = "KEEL_DEMO_PASSWORD"
    case secretKey = "KEEL_SECRET_KEY"
    case dataImportRoot = "KEEL_DATA_IMPORT_ROOT"
    case alertWebhookURL = "KEEL_ALERT_WEBHOOK_URL"
    case publicURL = "KEEL_PUBLIC_URL"
    case schwabAppKey = "KEEL_SCHWAB_APP_KEY"
    case schwabAppSecret = "KEEL_SCHWAB_APP_SECRET"
    case schwabCallbackURL = "KEEL_SCHWAB_CALLBACK_URL"
    case schwabBaseURL = "KEEL_SCHWAB_BASE_URL"
    case schwabOrdersPerMinute = "KEEL_SCHWAB_ORDERS_PER_MINUTE"
    case computeThreads = "KEEL_COMPUTE_THREADS"
    case metricsToken = "KEEL_METRICS_TOKEN"
    case logFormat = "KEEL_LOG_FORMAT"
    case logLevel = "LOG_LEVEL"

    var meaning: String {
        switch self {
        case .databaseURL: "postgres://… or a SQLite file (default keel-data/keel.sqlite)"
        case .adminPassword: "the first admin's password (never printed)"
        case .demoPassword: "password of the demo advisor (never printed)"
        case .secretKey: "seals broker tokens (required: Schwab on PostgreSQL)"
        case .dataImportRoot: "folder the API may import CSV files from"
        case .alertWebhookURL: "URL alerts are POSTed to as JSON"
        case .publicURL: "Keel's public URL (for the Schwab callback)"
        case .schwabAppKey: "Schwab app key (with the secret: Schwab linking on)"
        case .schwabAppSecret: "Schwab app secret"
        case .schwabCallbackURL: "default $KEEL_PUBLIC_URL/api/schwab/callback"
        case .schwabBaseURL: "default https://api.schwabapi.com (or the sandbox)"
        case .schwabOrdersPerMinute: "order throttle per account (default 120)"
        case .computeThreads: "threads for training and backtests (default cores - 1)"
        case .metricsToken: "bearer token Prometheus scrapes /metrics with (16+ characters)"
        case .logFormat: "text or json"
        case .logLevel: "trace … critical (default info)"
        }
    }

    var value: String? {
        guard let text = ProcessInfo.processInfo.environment[rawValue], !text.isEmpty else { return nil }
        return text
    }

    static var help: String {
        "Environment:\n" + allCases.map { "  \($0.rawValue)\n      \($0.meaning)" }.joined(separator: "\n")
    }
}
