import ArgumentParser
import FluentPostgresDriver
import Foundation
import KeelAPI
import KeelServices
import KeelStore
import SQLKit
import Vapor

/// Imports the whole `equities/` tree of the shared market data through the real pipeline (parse, validate,
/// upsert) into a fresh SQLite file and, when a server is given, a fresh PostgreSQL database; prints bars/s. On
/// PostgreSQL the reference, measured in the same sitting, is a raw `COPY ... FROM STDIN` of the same rows (as
/// text, produced beforehand) into a table with the same key (symbol, interval, ts): what the server itself can
/// take. Target: the import at 25% or more of the raw COPY's rows per second.
struct ImportBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import the equities tree into SQLite and PostgreSQL.")

    @ArgumentParser.Option(help: "The market-data folder (default: ../shared/data/market).")
    var data = "../shared/data/market"

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL; skipped when unset).")
    var postgresURL: String?

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let target = 0.25

    struct Measured {
        var files: Int
        var read: Int
        var stored: Int
        var seconds: Double
        var status: String
        var barsPerSecond: Double { Double(read) / seconds }
        var figures: [String: Any] {
            ["files": files, "bars_read": read, "bars_stored": stored, "seconds": seconds, "bars_per_second": barsPerSecond, "status": status]
        }
    }

    func run() async throws {
        let equities = URL(fileURLWithPath: data).appendingPathComponent("equities").path
        guard FileManager.default.fileExists(atPath: equities) else { throw ValidationError("no equities folder at \(equities); pass --data") }
        let sqlitePath = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-\(UUID().uuidString).sqlite").path
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sqlitePath + suffix) } }
        let sqlite = try await Self.measure(location: .sqlite(path: sqlitePath), folder: equities)
        var output: [String: Any] = ["sqlite": sqlite.figures]
        if !json { print(Self.line("SQLite", sqlite)) }

        guard let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"] else {
            if json {
                output["postgresql"] = "skipped: pass --postgres-url or set KEEL_BENCH_POSTGRES_URL"
                print(String(decoding: try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("PostgreSQL: skipped (pass --postgres-url or set KEEL_BENCH_POSTGRES_URL)")
            }
            return
        }
        let name = "keel_bench_\(ProcessInfo.processInfo.processIdentifier)"
        try await Self.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        let url = components.string!
        let postgres = try await Self.measure(location: .postgres(url: url), folder: equities)
        let copy = try await Self.rawCopy(url: url)
        try await Self.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        let copyRate = Double(copy.rows) / copy.seconds
        let ratio = postgres.barsPerSecond / copyRate
        output["postgresql"] = postgres.figures
        output["raw_copy"] = ["rows": copy.rows, "seconds": copy.seconds, "rows_per_second": copyRate]
        output["postgresql_ratio_to_raw_copy"] = ratio
        output["target_ratio"] = Self.target
        output["met"] = ratio >= Self.target
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(Self.line("PostgreSQL", postgres))
            print(String(format: "raw COPY of the same %d rows: %.2f s = %.0f rows/s; the import runs at %.1f%% of it (target %.0f%%)",
                         copy.rows, copy.seconds, copyRate, ratio * 100, Self.target * 100))
        }
    }

    static func line(_ label: String, _ m: Measured) -> String {
        String(format: "%@: %d files, %d bars read, %d stored in %.2f s = %.0f bars/s (%@)", label, m.files, m.read, m.stored, m.seconds,
               m.barsPerSecond, m.status)
    }

    static func measure(location: DatabaseLocation, folder: String) async throws -> Measured {
        let app = try await Application.make(.init(name: "production", arguments: ["bench"]))
        let measured: Measured
        do {
            var configuration = KeelConfiguration(database: location, reconcileOnStart: false, logLevel: .error)
            configuration.bootstrapAdmin = false
            try await configureKeel(app, configuration)
            let pipeline = app.keel.pipeline
            let start = DispatchTime.now().uptimeNanoseconds
            let run = try await pipeline.execute(try await pipeline.start(mode: .full, provider: CSVMarketDataProvider(path: folder),
                                                                          parameters: PipelineParameters(), by: "benchmark").runID)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            measured = Measured(files: run.symbols.count, read: run.barsFetched, stored: run.barsStored, seconds: seconds, status: run.status.rawValue)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        return measured
    }

    /// The stored bars, rendered as COPY text by the server before the clock starts, then copied raw into a table
    /// keyed like `market_bars`' unique key, three times (emptied and checkpointed before each); only the COPYs are
    /// timed and the median is returned.
    static func rawCopy(url: String) async throws -> (rows: Int, seconds: Double) {
        let configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
        let logger = Logger(label: "bench.copy")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            try await connection.query("""
                CREATE TABLE copy_reference (symbol TEXT NOT NULL, interval TEXT NOT NULL, ts TIMESTAMPTZ NOT NULL, open DOUBLE PRECISION NOT NULL,
                    high DOUBLE PRECISION NOT NULL, low DOUBLE PRECISION NOT NULL, close DOUBLE PRECISION NOT NULL, adj_close DOUBLE PRECISION,
                    volume DOUBLE PRECISION NOT NULL, source TEXT NOT NULL, quality TEXT NOT NULL, PRIMARY KEY (symbol, interval, ts))
                """, logger: logger)
            var text = ""
            var rows = 0
            let lines = try await connection.query("""
                SELECT concat_ws(E'\\t', symbol, interval, ts::text, open::text, high::text, low::text, close::text, COALESCE(adj_close::text, '\\N'),
                                 volume::text, source, quality) AS line FROM market_bars
                """, logger: logger)
            for try await (line) in lines.decode(String.self) {
                text += line
                text += "\n"
                rows += 1
            }
            let buffer = ByteBuffer(string: text)
            // Three COPYs into an emptied table; the median is the reference (one COPY varies by half from run to run).
            var times: [Double] = []
            for _ in 0..<3 {
                try await connection.query("TRUNCATE copy_reference", logger: logger)
                _ = try? await connection.query("CHECKPOINT", logger: logger)  // needs a superuser or pg_checkpoint; best effort
                let start = DispatchTime.now().uptimeNanoseconds
                try await connection.copyFrom(table: "copy_reference", logger: logger) { writer in
                    try await writer.write(buffer)
                }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            try await connection.close()
            return (rows, times.sorted()[1])
        } catch {
            try? await connection.close()
            throw error
        }
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
