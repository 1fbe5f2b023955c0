import ArgumentParser
import Foundation
import KeelAPI
import KeelServices
import KeelStore
import Vapor

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Apply pending migrations and serve the API and dashboard.",
                                                    discussion: KeelEnvironment.help)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var compute: ComputeOptions

    @ArgumentParser.Option(help: "Address to listen on.")
    var hostname = "127.0.0.1"

    @ArgumentParser.Option(help: "Port to listen on.")
    var port = 8080

    @ArgumentParser.Option(help: "Seconds a connection may sit with nothing sent either way (idle keep-alive, headers that stop arriving) before it is closed.")
    var idleTimeout: Double = 30

    @ArgumentParser.Flag(inversion: .prefixedNo, help: "Seed demo data (simulated prices, a demo advisor and a funded paper client). Default: on for the embedded SQLite database, off otherwise.")
    var demo: Bool?

    @ArgumentParser.Option(help: "A folder `POST /api/data/pipeline/runs` may import CSV files from (default: $KEEL_DATA_IMPORT_ROOT; none: CSV over HTTP is off).")
    var dataImportRoot: String?

    @ArgumentParser.Flag(inversion: .prefixedNo, help: "Run a job worker in this process (backtests, pipeline runs, periodic duties). Turn it off when `keel worker` processes do the work.")
    var worker = true

    @ArgumentParser.Flag(inversion: .prefixedNo, help: "Run the autonomous daily cycle by itself: after the NYSE close on session days, at 00:30 UTC on other days.")
    var autonomousCycle = true

    @ArgumentParser.Flag(help: "Let the paper broker fill at any hour (demonstrations, browser tests). By default it keeps each market's hours: an equity order placed after the close waits for the next session.")
    var paperAlwaysOpen = false

    @ArgumentParser.Option(help: "URL that alerts (goal milestones, at-risk goals, broker disconnects) are POSTed to as JSON, with retries (default: $KEEL_ALERT_WEBHOOK_URL).")
    var alertWebhookUrl: String?

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        guard idleTimeout.isFinite, (1...3600).contains(idleTimeout) else { throw ValidationError("--idle-timeout must be between 1 and 3600 seconds") }
        if let url = alertWebhookUrl ?? KeelEnvironment.alertWebhookURL.value {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw ValidationError("--alert-webhook-url (or KEEL_ALERT_WEBHOOK_URL) must be an http(s) URL such as https://hooks.example.com/keel")
            }
        }
    }

    func run() async throws {
        let location = try database.location()
        var configuration = KeelConfiguration(
            database: location, hostname: hostname, port: port, seedDemo: demo ?? location.isEmbedded,
            adminPassword: KeelEnvironment.adminPassword.value, demoAdvisorPassword: KeelEnvironment.demoPassword.value,
            reconcileInterval: 300)
        configuration.dataImportRoot = dataImportRoot ?? KeelEnvironment.dataImportRoot.value
        configuration.runWorker = worker
        configuration.idleTimeout = idleTimeout
        configuration.computeThreads = try compute.threads
        configuration.settings.alertWebhookURL = alertWebhookUrl ?? KeelEnvironment.alertWebhookURL.value
        configuration.settings.cycle.scheduled = autonomousCycle
        configuration.settings.paperCosts.keepsMarketHours = !paperAlwaysOpen
        if configuration.seedDemo {
            // The demo market continues day by day: the cycle's data step appends the new simulated bars.
            configuration.settings.cycle.dataSource = .simulator(seed: DemoMarketSeeder.defaultSeed, historyDays: 760)
        }
        SchwabEnvironment.apply(to: &configuration)
        configuration.metricsToken = try MetricsEnvironment.token()

        log.bootstrap()
        configuration.logLevel = log.level
        let app = try await Application.make(Environment(name: "production", arguments: ["keel", "serve"]))
        do {
            let report = try await configureKeel(app, configuration)
            print("Keel is using \(location)")
            if let password = report.generatedAdminPassword {
                print("Created the first admin: user_id 'admin', password '\(password)' (shown once; set KEEL_ADMIN_PASSWORD to choose it).")
            }
            if let demo = report.demo {
                print("Demo: \(demo.market.symbols) symbols, \(demo.market.bars) simulated daily bars; client \(demo.clientID), paper account \(demo.accountHash).")
                if let batches = demo.replayedBatches {
                    print("Demo history: \(batches) monthly rebalances of the past year replayed into the paper account; a model is training and today's cycle is queued.")
                }
                if let password = demo.createdAdvisorPassword {
                    print("Demo advisor: user_id 'advisor', password '\(password)' (shown once; set KEEL_DEMO_PASSWORD to choose it).")
                }
            }
            if let schwab = configuration.schwab {
                print("Schwab: app \(schwab.appKey) at \(schwab.baseURL), callback \(schwab.callbackURL)")
            }
            print("Workspace on http://\(hostname):\(port) (the API under /api, its description at /openapi.json)")
            try await app.execute()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
