import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Read-path throughput of a release `keel serve` (demo data: the advisor's client with six positions) driven by
/// wrk from Debian's packages: `/health` is the reference; client and portfolio-health reads are reported as a
/// ratio of its requests/s in the same run, with their p50/p99 latency, on SQLite and on PostgreSQL.
struct APIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Read-path throughput and latency against /health (wrk).")

    enum Store: String, ExpressibleByArgument, CaseIterable { case sqlite, postgres, both }

    @ArgumentParser.Option(help: "Which database(s) to serve from (default: both when a PostgreSQL URL is given, else sqlite).")
    var database: Store?

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL).")
    var postgresURL: String?

    @ArgumentParser.Option(help: "wrk connections.")
    var connections = 32

    @ArgumentParser.Option(help: "Seconds per measured path.")
    var duration = 10

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let paths = ["/health", "/api/clients/1", "/api/portfolio-health/1"]
    static let targetRatio = 0.25
    static let targetP99Milliseconds = 10.0

    struct Measurement {
        var requestsPerSecond: Double
        var p50: Double
        var p99: Double
        var failures: Int
    }

    func run() async throws {
        guard (1...1024).contains(connections) else { throw ValidationError("--connections must be between 1 and 1024") }
        guard (1...600).contains(duration) else { throw ValidationError("--duration must be between 1 and 600 seconds") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/wrk") else {
            throw ValidationError("wrk is missing: apt-get install -y wrk")
        }
        let keel = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("keel")
        guard FileManager.default.isExecutableFile(atPath: keel.path) else {
            throw ValidationError("\(keel.path) is missing: swift build -c release --product keel")
        }
        let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"]
        let store = database ?? (server == nil ? .sqlite : .both)
        if store != .sqlite && server == nil { throw ValidationError("PostgreSQL needs --postgres-url or KEEL_BENCH_POSTGRES_URL") }

        var results: [String: [String: Measurement]] = [:]
        if store != .postgres {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-api-\(ProcessInfo.processInfo.processIdentifier)")
            try? FileManager.default.removeItem(at: folder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            results["sqlite"] = try await measure(keel: keel, databaseURL: folder.appendingPathComponent("keel.sqlite").path)
        }
        if store != .sqlite, let server {
            let name = "keel_bench_api_\(ProcessInfo.processInfo.processIdentifier)"
            try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
            var components = URLComponents(string: server)!
            components.path = "/" + name
            results["postgres"] = try await measure(keel: keel, databaseURL: components.string!)
            try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        }
        report(results)
    }

    /// Starts the server, logs in as the demo advisor, and runs wrk on each path (a short warm-up first).
    func measure(keel: URL, databaseURL: String) async throws -> [String: Measurement] {
        let port = 18_000 + Int(ProcessInfo.processInfo.processIdentifier % 1000)
        let password = "bench-advisor-password-1"
        let process = try Self.serve(keel: keel, password: password,
                                     arguments: ["--database-url", databaseURL, "--port", String(port), "--demo", "--log-level", "error"])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        try await waitUntilUp(base + "/health")
        let token = try await login(base, password: password)
        var results: [String: Measurement] = [:]
        for path in Self.paths {
            _ = try wrk(base + path, token: token, seconds: 2)
            results[path] = try wrk(base + path, token: token, seconds: duration)
        }
        return results
    }

    /// Starts `keel serve` with the demo advisor's and the admin's passwords set.
    static func serve(keel: URL, password: String, arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = keel
        process.arguments = ["serve"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["KEEL_DEMO_PASSWORD"] = password
        environment["KEEL_ADMIN_PASSWORD"] = "bench-admin-password-1"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitUntilUp(_ url: String) async throws {
        for _ in 0..<120 {
            if let (_, response) = try? await URLSession.shared.data(from: URL(string: url)!), (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(nanoseconds: 500_000_000)
        }
        throw ValidationError("the server at \(url) did not start")
    }

    func login(_ base: String, password: String) async throws -> String {
        var request = URLRequest(url: URL(string: base + "/api/auth/login")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["user_id": "advisor", "password": password])
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let token = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["access_token"] as? String else {
            throw ValidationError("login failed: \(String(decoding: data, as: UTF8.self))")
        }
        return token
    }

    func wrk(_ url: String, token: String, seconds: Int) throws -> Measurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer \(token)", url]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return try Self.parse(output)
    }

    /// Reads wrk's summary: requests/s, the 50% and 99% latency lines, and non-2xx/socket errors.
    static func parse(_ output: String) throws -> Measurement {
        var measurement = Measurement(requestsPerSecond: .nan, p50: .nan, p99: .nan, failures: 0)
        for line in output.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if line.hasPrefix("Requests/sec:"), let value = fields.last.flatMap(Double.init) { measurement.requestsPerSecond = value }
            if fields.count == 2, fields[0] == "50%" { measurement.p50 = milliseconds(fields[1]) }
            if fields.count == 2, fields[0] == "99%" { measurement.p99 = milliseconds(fields[1]) }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let count = fields.last.flatMap(Int.init) { measurement.failures += count }
            if line.hasPrefix("Socket errors:") {
                measurement.failures += fields.compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: ","))) }.reduce(0, +)
            }
        }
        guard measurement.requestsPerSecond.isFinite else { throw ValidationError("could not read wrk's output:\n\(output)") }
        return measurement
    }

    static func milliseconds(_ text: String) -> Double {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)) { return value * scale }
        }
        return .nan
    }

    func report(_ results: [String: [String: Measurement]]) {
        var figures: [String: Any] = ["connections": connections, "seconds_per_path": duration,
                                      "targets": ["ratio_to_health": Self.targetRatio, "p99_ms": Self.targetP99Milliseconds]]
        var lines: [String] = []
        for store in results.keys.sorted() {
            guard let byPath = results[store], let health = byPath["/health"] else { continue }
            var perStore: [String: Any] = [:]
            for path in Self.paths {
                guard let m = byPath[path] else { continue }
                let ratio = m.requestsPerSecond / health.requestsPerSecond
                var entry: [String: Any] = ["requests_per_s": m.requestsPerSecond, "p50_ms": m.p50, "p99_ms": m.p99, "failures": m.failures]
                if path != "/health" {
                    entry["ratio_to_health"] = ratio
                    entry["met"] = ratio >= Self.targetRatio && m.p99 < Self.targetP99Milliseconds && m.failures == 0
                }
                perStore[path] = entry
                lines.append(String(format: "%@ %@: %.0f req/s%@, p50 %.2f ms, p99 %.2f ms%@", store, path, m.requestsPerSecond,
                                    path == "/health" ? "" : String(format: " (%.2fx /health, target %.2fx)", ratio, Self.targetRatio),
                                    m.p50, m.p99, m.failures > 0 ? " — \(m.failures) failed responses" : ""))
            }
            figures[store] = perStore
        }
        if json {
            print(String(decoding: (try? JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])) ?? Data(), as: UTF8.self))
        } else {
            lines.forEach { print($0) }
            print(String(format: "targets: reads >= %.0f%% of /health's throughput, p99 < %.0f ms", Self.targetRatio * 100, Self.targetP99Milliseconds))
        }
    }
}
