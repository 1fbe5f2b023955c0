import ArgumentParser
import Foundation
import KeelAPI
import KeelServices
import KeelStore
import SQLKit
import Vapor

/// Imports the whole `equities/` tree of the shared market data through the real pipeline (parse, validate,
/// upsert) into a fresh SQLite file and, when a server is given, a fresh PostgreSQL database; prints bars/s.
struct ImportBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import the equities tree into SQLite and PostgreSQL.")

    @ArgumentParser.Option(help: "The market-data folder (default: ../shared/data/market).")
    var data = "../shared/data/market"

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL; skipped when unset).")
    var postgresURL: String?

    func run() async throws {
        let equities = URL(fileURLWithPath: data).appendingPathComponent("equities").path
        guard FileManager.default.fileExists(atPath: equities) else { throw ValidationError("no equities folder at \(equities); pass --data") }
        let sqlitePath = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) } }
        try await Self.measure(label: "SQLite", location: .sqlite(path: sqlitePath), folder: equities)

        guard let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"] else {
            print("PostgreSQL: skipped (pass --postgres-url or set KEEL_BENCH_POSTGRES_URL)")
            return
        }
        let name = "keel_bench_\(ProcessInfo.processInfo.processIdentifier)"
        try await Self.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        try await Self.measure(label: "PostgreSQL", location: .postgres(url: components.string!), folder: equities)
        try await Self.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    static func measure(label: String, location: DatabaseLocation, folder: String) async throws {
        let app = try await Application.make(.init(name: "production", arguments: ["bench"]))
        do {
            var configuration = KeelConfiguration(database: location, reconcileOnStart: false, logLevel: .error)
            configuration.bootstrapAdmin = false
            try await configureKeel(app, configuration)
            let pipeline = app.keel.pipeline
            let start = DispatchTime.now().uptimeNanoseconds
            let run = try await pipeline.execute(try await pipeline.start(mode: .full, provider: CSVMarketDataProvider(path: folder),
                                                                          parameters: PipelineParameters(), by: "benchmark").runID)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "%@: %d files, %d bars read, %d stored in %.2f s = %.0f bars/s (%@)", label, run.symbols.count, run.barsFetched,
                         run.barsStored, seconds, Double(run.barsFetched) / seconds, run.status.rawValue))
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    static func onServer(_ url: String, _ statements: String...) async throws {
        let app = try await Application.make(.init(name: "production", arguments: ["bench"]))
        do {
            try DatabaseLocation.postgres(url: url).register(on: app.databases, poolSize: 1)
            for statement in statements { try await (app.db as! any SQLDatabase).raw(SQLQueryString(stringLiteral: statement)).run() }
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
