import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `/health` latency of a release `keel serve` (embedded SQLite, demo data) alone, then while two heavy trainings
/// (a GBDT and the RL policy, each inside the training budget) compute, in one run: the ratio shows whether
/// CPU-bound work leaves the pool that serves requests alone. The trainings are cancelled at the end, and the
/// time cancel took to stop them is reported too.
struct AvailabilityBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "availability", abstract: "/health p99 alone vs while two heavy trainings run.")

    @ArgumentParser.Option(help: "Requests per measurement (sequential, one connection).")
    var requests = 400

    @ArgumentParser.Option(help: "The server's compute threads (default 2: both trainings compute at once on this 2-core machine).")
    var computeThreads = 2

    @ArgumentParser.Flag(help: "Print one JSON object with the figures.")
    var json = false

    /// The loaded p99 may be at most this many times the idle one, and under this many milliseconds.
    static let targetRatio = 10.0
    static let targetP99Milliseconds = 50.0

    func run() async throws {
        guard (50...100_000).contains(requests) else { throw ValidationError("--requests must be between 50 and 100,000") }
        guard (1...64).contains(computeThreads) else { throw ValidationError("--compute-threads must be between 1 and 64") }
        let api = APIBenchmark()
        let keel = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("keel")
        guard FileManager.default.isExecutableFile(atPath: keel.path) else {
            throw ValidationError("\(keel.path) is missing: swift build -c release --product keel")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-bench-availability-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = 19_000 + Int(ProcessInfo.processInfo.processIdentifier % 1000)
        let password = "bench-advisor-password-1"
        let process = try APIBenchmark.serve(keel: keel, password: password, arguments: [
            "--database-url", folder.appendingPathComponent("keel.sqlite").path, "--port", String(port), "--demo",
            "--no-autonomous-cycle", "--compute-threads", String(computeThreads), "--log-level", "error"])
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let base = "http://127.0.0.1:\(port)"
        try await api.waitUntilUp(base + "/health")
        let token = try await api.login(base, password: password)
        // The demo's own training (started at the first start) ends before the idle measurement.
        try await waitForIdleJobs(base, token: token)

        _ = try await latencies(base + "/health", count: 50)
        let idle = try await latencies(base + "/health", count: requests)

        let today = String(ISO8601DateFormatter().string(from: Date()).prefix(10))
        let gbdt = try await post(base + "/api/ml-models/train", token: token, [
            "model_type": "gbdt", "portfolio_id": 1, "from": "2000-01-01", "to": today, "horizon_days": 20,
            "params": ["trees": 5000, "max_leaves": 100, "max_depth": 16, "min_samples_per_leaf": 1, "early_stopping_rounds": 0, "learning_rate": 0.001],
        ])
        let rl = try await post(base + "/api/rl/train", token: token, ["portfolio_id": 4, "from": "2000-01-01", "to": today, "episodes": 20_000,
                                                                       "params": ["early_stopping_checks": 0]])
        let jobs = [gbdt, rl].compactMap { $0["job_id"] as? String }
        guard jobs.count == 2 else { throw ValidationError("the trainings were not accepted: \(gbdt) \(rl)") }
        // Both inside their compute before measuring.
        for _ in 0..<600 {
            var computing = 0
            for job in jobs {
                let state = try await get(base + "/api/jobs/\(job)", token: token)
                if state["status"] as? String == "running", (state["progress"] as? Double ?? 0) >= 0.2 { computing += 1 }
            }
            if computing == jobs.count { break }
            try await Task.sleep(nanoseconds: 200_000_000)
        }
        let loaded = try await latencies(base + "/health", count: requests)
        var stillRunning = 0
        for job in jobs where try await get(base + "/api/jobs/\(job)", token: token)["status"] as? String == "running" { stillRunning += 1 }

        let cancelled = Date()
        for job in jobs { _ = try await post(base + "/api/jobs/\(job)/cancel", token: token, [:]) }
        var stopSeconds = Double.nan
        for _ in 0..<600 {
            var stopped = 0
            for job in jobs where try await get(base + "/api/jobs/\(job)", token: token)["status"] as? String != "running" { stopped += 1 }
            if stopped == jobs.count { stopSeconds = Date().timeIntervalSince(cancelled); break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        report(idle: idle, loaded: loaded, stillRunning: stillRunning, stopSeconds: stopSeconds)
    }

    func report(idle: [Double], loaded: [Double], stillRunning: Int, stopSeconds: Double) {
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
        }
        let idleP99 = percentile(idle, 0.99), loadedP99 = percentile(loaded, 0.99)
        let ratio = loadedP99 / idleP99
        let met = ratio <= Self.targetRatio && loadedP99 <= Self.targetP99Milliseconds && stillRunning == 2
        if json {
            let object: [String: Any] = [
                "benchmark": "availability", "requests": requests, "compute_threads": computeThreads,
                "health_alone_ms": ["p50": percentile(idle, 0.5), "p99": idleP99],
                "health_with_two_trainings_ms": ["p50": percentile(loaded, 0.5), "p99": loadedP99],
                "p99_ratio": ratio, "trainings_running_during_measurement": stillRunning, "cancel_to_stopped_seconds": stopSeconds,
                "target": ["p99_ratio_at_most": Self.targetRatio, "p99_ms_at_most": Self.targetP99Milliseconds], "met": met,
            ]
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) { print(String(decoding: data, as: UTF8.self)) }
        } else {
            print(String(format: "/health alone:               p50 %.2f ms, p99 %.2f ms (%d requests)", percentile(idle, 0.5), idleP99, requests))
            print(String(format: "/health, two trainings on:   p50 %.2f ms, p99 %.2f ms (%d of 2 still computing at the end)", percentile(loaded, 0.5), loadedP99, stillRunning))
            print(String(format: "p99 ratio %.2fx (target <= %.0fx and <= %.0f ms): %@; cancel stopped both in %.2f s", ratio, Self.targetRatio,
                         Self.targetP99Milliseconds, met ? "met" : "MISSED", stopSeconds))
        }
    }

    func latencies(_ url: String, count: Int) async throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(count)
        let target = URL(string: url)!
        for _ in 0..<count {
            let started = DispatchTime.now().uptimeNanoseconds
            let (_, response) = try await URLSession.shared.data(from: target)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw ValidationError("\(url) answered \(response)") }
            out.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6)
        }
        return out
    }

    func waitForIdleJobs(_ base: String, token: String) async throws {
        for _ in 0..<1200 {
            let list = try await getArray(base + "/api/jobs?status=running&limit=50", token: token)
            if list.allSatisfy({ ($0["kind"] as? String ?? "").hasPrefix("duty.") }) { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
    }

    func request(_ url: String, method: String, token: String, body: [String: Any]?) async throws -> Data {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        return try await URLSession.shared.data(for: request).0
    }

    func post(_ url: String, token: String, _ body: [String: Any]) async throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: try await request(url, method: "POST", token: token, body: body)) as? [String: Any]) ?? [:]
    }

    func get(_ url: String, token: String) async throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: try await request(url, method: "GET", token: token, body: nil)) as? [String: Any]) ?? [:]
    }

    func getArray(_ url: String, token: String) async throws -> [[String: Any]] {
        (try JSONSerialization.jsonObject(with: try await request(url, method: "GET", token: token, body: nil)) as? [[String: Any]]) ?? []
    }
}
