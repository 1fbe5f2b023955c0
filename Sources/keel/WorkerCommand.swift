import ArgumentParser
import Dispatch
import Foundation
import KeelAPI
import KeelServices
import Vapor

/// A process that runs jobs only (no HTTP): capacity grows by adding `keel worker` processes beside
/// `keel serve` on one PostgreSQL. SIGTERM or SIGINT stops claiming, lets running jobs finish within the
/// grace period, releases the rest to the queue, and exits.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run background jobs (no HTTP) until SIGTERM.",
                                                    discussion: KeelEnvironment.help)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var compute: ComputeOptions

    @ArgumentParser.Option(help: "Jobs this worker runs at once.")
    var parallel = 4

    @ArgumentParser.Option(help: "Seconds running jobs get to finish at shutdown before they are released to the queue.")
    var shutdownGrace: Double = 10

    @ArgumentParser.Flag(inversion: .prefixedNo, help: "Also schedule the periodic duties (reconciliation, token watch, goals, webhooks).")
    var duties = true

    func validate() throws {
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel must be between 1 and 256") }
        guard (0...3600).contains(shutdownGrace) else { throw ValidationError("--shutdown-grace must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        log.bootstrap()
        let app = try await Application.make(Environment(name: "production", arguments: ["keel", "worker"]))
        do {
            var configuration = KeelConfiguration(database: try database.location(), reconcileOnStart: false, reconcileInterval: duties ? 300 : nil)
            configuration.bootstrapAdmin = false
            configuration.logLevel = log.level
            configuration.runWorker = true
            configuration.jobSettings.maxParallel = parallel
            configuration.jobSettings.shutdownGrace = shutdownGrace
            configuration.computeThreads = try compute.threads
            configuration.settings.alertWebhookURL = KeelEnvironment.alertWebhookURL.value
            SchwabEnvironment.apply(to: &configuration)
            try await configureKeel(app, configuration)
            try await app.asyncBoot()
            print("Keel worker \(app.keel.runner.owner) running jobs of: \(app.keel.jobs.kinds.joined(separator: ", "))")
            await Self.waitForTermination()
            print("stopping: running jobs get \(shutdownGrace) s, the rest go back to the queue")
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// Returns on SIGTERM or SIGINT.
    static func waitForTermination() async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = OnceFlag()
            let sources = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .main) }
            for source in sources {
                source.setEventHandler {
                    if once.claim() { continuation.resume() }
                }
                source.resume()
            }
            SignalSources.keep(sources)
        }
    }
}

/// True exactly once.
final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var used = false

    func claim() -> Bool {
        lock.withLock {
            defer { used = true }
            return !used
        }
    }
}

/// Keeps the signal sources alive for the life of the process.
enum SignalSources {
    nonisolated(unsafe) private static var retained: [any DispatchSourceSignal] = []
    static func keep(_ sources: [any DispatchSourceSignal]) { retained += sources }
}
