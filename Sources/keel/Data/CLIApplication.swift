import Foundation
import KeelAPI
import KeelServices
import KeelStore
import Vapor

/// Runs a one-shot command against Keel's services on the chosen database: migrations applied, no server,
/// no admin bootstrap, no demo.
enum CLIApplication {
    /// Runs `body` on the services; with `worker`, this process also runs jobs while `body` lasts (a training
    /// started with `--wait` is done here rather than waiting for a `keel worker`).
    static func run<T: Sendable>(database: DatabaseOptions, worker: Bool = false, _ body: (KeelServices) async throws -> T) async throws -> T {
        var env = Environment(name: "production", arguments: ["keel"])
        try? LoggingSystem.bootstrap(from: &env)
        let app = try await Application.make(env)
        do {
            var configuration = KeelConfiguration(database: try database.location(), reconcileOnStart: false, logLevel: .warning)
            configuration.bootstrapAdmin = false
            // A one-shot command does not take jobs; `keel worker` and `keel serve` do.
            configuration.runWorker = worker
            SchwabEnvironment.apply(to: &configuration)
            try await configureKeel(app, configuration)
            if worker { try await app.asyncBoot() }
            let result = try await body(app.keel)
            try await app.asyncShutdown()
            return result
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}

/// A one-line progress bar on standard error (plain lines when it is not a terminal).
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastPercent = -1

    func update(done: Int, total: Int, item: String) {
        lock.withLock {
            let percent = total == 0 ? 100 : done * 100 / total
            let width = 30
            let filled = width * percent / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            if interactive {
                FileHandle.standardError.write(Data("\r[\(bar)] \(done)/\(total) \(item.prefix(30))\u{1B}[K".utf8))
                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
            } else if percent / 10 != lastPercent / 10 || done == total {
                FileHandle.standardError.write(Data("[\(bar)] \(done)/\(total)\n".utf8))
            }
            lastPercent = percent
        }
    }
}
