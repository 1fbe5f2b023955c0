import ArgumentParser
import Foundation
import KeelAPI
import KeelCore
import KeelServices
import KeelStore
import Vapor

/// Every workspace page rendered by the server for a book of N clients on a fresh PostgreSQL database (each
/// with preferences, a goal, a paper account and 10–14 positions; some batches waiting for approval), fetched
/// over loopback HTTP with the advisor's session cookie. `/health` in the same run is the reference: each page's
/// p50 and p95 latency, its ratio to the reference and its size. Targets: under 50 ms and under 200 KB.
struct PagesBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pages", abstract: "Workspace page render time and size for a book of many clients (PostgreSQL).")

    @ArgumentParser.Option(help: "A PostgreSQL server URL whose user may create databases (default: $KEEL_BENCH_POSTGRES_URL).")
    var postgresURL: String?

    @ArgumentParser.Option(help: "Clients in the book (one paper account each).")
    var clients = 1_000

    @ArgumentParser.Option(help: "Timed requests per page (after five warm-up requests).")
    var requests = 40

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    static let targetMilliseconds = 50.0
    static let targetBytes = 200_000

    struct Measurement {
        var p50: Double
        var p95: Double
        var bytes: Int
    }

    func run() async throws {
        guard let server = postgresURL ?? ProcessInfo.processInfo.environment["KEEL_BENCH_POSTGRES_URL"] else {
            throw ValidationError("pass --postgres-url or set KEEL_BENCH_POSTGRES_URL")
        }
        guard (10...20_000).contains(clients) else { throw ValidationError("--clients must be between 10 and 20,000") }
        guard (5...10_000).contains(requests) else { throw ValidationError("--requests must be between 5 and 10,000") }
        let name = "keel_bench_pages_\(ProcessInfo.processInfo.processIdentifier)"
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name)", "CREATE DATABASE \(name)")
        var components = URLComponents(string: server)!
        components.path = "/" + name
        let clock = AdjustableClock(CycleBenchmark.now)
        let app = try await CycleBenchmark.app(.postgres(url: components.string!), clock: clock, worker: false, parallel: 8, migrate: true)
        var results: [(path: String, measurement: Measurement)] = []
        do {
            let setup = DispatchTime.now().uptimeNanoseconds
            let (cookie, paths) = try await Self.book(app.keel, clients: clients)
            if !json { print(String(format: "%d clients set up in %.1f s", clients, Double(DispatchTime.now().uptimeNanoseconds - setup) / 1e9)) }
            try await app.asyncBoot()
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            guard let port = app.http.server.shared.localAddress?.port else { throw ValidationError("the server did not report its port") }
            for path in ["/health"] + paths {
                results.append((path, try await measure(app, url: "http://127.0.0.1:\(port)\(path)", cookie: cookie)))
            }
            await app.server.shutdown()
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
        try await ImportBenchmark.onServer(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        report(results)
    }

    /// The book: N clients from the cycle benchmark's population, an advisor session, and batches waiting for
    /// approval on the first twenty accounts. Returns the session cookie and the pages to fetch.
    static func book(_ services: KeelServices, clients: Int) async throws -> (cookie: String, paths: [String]) {
        try await CycleBenchmark.populate(services, accounts: clients)
        let admin = Principal(userID: "bench", role: .admin, clientID: nil)
        _ = try await services.auth.createUser(by: admin, userID: "bench-advisor", password: "bench-advisor-password-1", role: .advisor, displayName: "Bench")
        let advisor = Principal(userID: "bench-advisor", role: .advisor, clientID: nil)
        for index in 0..<min(20, clients) {
            let client = index + 1
            _ = try await services.rebalancing.rebalance(RebalanceRequest(clientID: client, accountHash: "bench-account-\(index)", requireApproval: true), by: advisor)
        }
        let session = try await services.auth.login(userID: "bench-advisor", password: "bench-advisor-password-1")
        let middle = max(1, clients / 2)
        let user = "client:\(middle)".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return (session.token, ["/app", "/app/clients", "/app/clients?q=Client9", "/app/clients?page=10", "/app/clients/\(middle)", "/app/approvals",
                                "/app/goals?user=\(user)", "/app/models", "/app/autonomous", "/app/data", "/app/backtests", "/app/jobs", "/app/alerts"])
    }

    func measure(_ app: Application, url: String, cookie: String) async throws -> Measurement {
        var headers = HTTPHeaders()
        headers.add(name: .cookie, value: "keel_session=\(cookie)")
        var times: [Double] = []
        var bytes = 0
        for index in 0..<(requests + 5) {
            let start = DispatchTime.now().uptimeNanoseconds
            let response = try await app.client.get(URI(string: url), headers: headers)
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            guard response.status == .ok else { throw ValidationError("\(url) answered \(response.status.code)") }
            bytes = response.body?.readableBytes ?? 0
            if index >= 5 { times.append(elapsed) }
        }
        times.sort()
        func quantile(_ q: Double) -> Double { times[min(times.count - 1, Int((Double(times.count - 1) * q).rounded()))] }
        return Measurement(p50: quantile(0.5), p95: quantile(0.95), bytes: bytes)
    }

    func report(_ results: [(path: String, measurement: Measurement)]) {
        guard let reference = results.first?.measurement else { return }
        let pages = results.dropFirst()
        let slowest = pages.map(\.measurement.p95).max() ?? 0
        let largest = pages.map(\.measurement.bytes).max() ?? 0
        if json {
            let output: [String: Any] = [
                "clients": clients, "requests_per_page": requests,
                "reference": ["path": "/health", "p50_ms": reference.p50, "p95_ms": reference.p95],
                "pages": Dictionary(uniqueKeysWithValues: pages.map { ($0.path, ["p50_ms": $0.measurement.p50, "p95_ms": $0.measurement.p95, "bytes": $0.measurement.bytes,
                                                                                   "p50_ratio_to_reference": $0.measurement.p50 / max(reference.p50, 1e-6)] as [String: Any]) }),
                "targets": ["p95_ms": Self.targetMilliseconds, "bytes": Self.targetBytes],
                "met": ["time": slowest < Self.targetMilliseconds, "size": largest < Self.targetBytes],
            ]
            if let data = try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]) { print(String(decoding: data, as: UTF8.self)) }
            return
        }
        print(String(format: "reference /health: p50 %.2f ms, p95 %.2f ms", reference.p50, reference.p95))
        for (path, m) in pages {
            print(String(format: "%-34@ p50 %7.2f ms (%6.1fx /health)  p95 %7.2f ms  %7d bytes%@", path as NSString, m.p50, m.p50 / max(reference.p50, 1e-6), m.p95, m.bytes,
                         (m.p95 < Self.targetMilliseconds && m.bytes < Self.targetBytes ? "" : "  MISSED") as NSString))
        }
        print(String(format: "slowest p95 %.2f ms (target < %.0f ms), largest %d bytes (target < %d)", slowest, Self.targetMilliseconds, largest, Self.targetBytes))
    }
}
