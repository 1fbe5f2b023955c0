import Foundation
import KeelTestSupport
import NIOCore
import Testing
import Vapor
import VaporTesting

@Suite("Observability")
struct ObservabilityTests {
    @Test("after a paper batch executes, /metrics shows the order, batch, job and HTTP series", arguments: TestDatabase.available)
    func metricsAfterExecution(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            #expect(try await scenario.execute(app, batchID: batchID, dryRun: false).status == .ok)
            let queued = try await app.services.jobs.enqueue(kind: "duty.goal_remeasure", payload: "{}")
            try await app.eventually("a job to finish") {
                try await app.database.read { try await $0.jobs.find(queued.jobID)?.status.isFinished } == true
            }

            let metrics = try await app.request(.GET, "/metrics", token: scenario.token)
            #expect(metrics.status == .ok)
            for series in ["keel_orders_total{", "broker=\"paper\"", "status=\"filled\"", "keel_batch_execution_seconds", "keel_jobs_total{",
                           "kind=\"duty.goal_remeasure\"", "keel_job_duration_seconds", "keel_orders_unknown", "keel_jobs_queued{",
                           "http_requests_total{", "path=\"/api/rl/trading/execute-batch\"", "http_request_duration_seconds"] {
                #expect(metrics.body.contains(series), "missing \(series)")
            }
            #expect(!metrics.body.contains(scenario.token), "no secret in the metrics")
            #expect(try await app.request(.GET, "/metrics").status == .unauthorized)
        }
    }

    @Test("every response carries a request id: the caller's when sane, else a new one", arguments: TestDatabase.available)
    func requestIDs(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let given = try await app.app.testing().sendRequest(.GET, "/health", headers: ["X-Request-Id": "trace-abc.123"])
            #expect(given.headers.first(name: "X-Request-Id") == "trace-abc.123")
            let hostile = try await app.app.testing().sendRequest(.GET, "/health", headers: ["X-Request-Id": "bad id\nwith newline"])
            let replaced = hostile.headers.first(name: "X-Request-Id") ?? ""
            #expect(!replaced.isEmpty && replaced != "bad id\nwith newline")
            let error = try await app.app.testing().sendRequest(.GET, "/api/clients/1")
            #expect(error.status == .unauthorized && error.headers.first(name: "X-Request-Id") != nil, "error responses too")
        }
    }

    @Test("Prometheus scrapes /metrics with the configured token (no session); a wrong token or none is refused", arguments: TestDatabase.available)
    func scrapeToken(database: TestDatabase) async throws {
        let token = "scrape-0123456789abcdef-token"
        try await KeelTestApp.run(on: database, configure: { $0.metricsToken = token }) { app in
            // One request first, so the request counter exists whichever test ran before in this process.
            _ = try await app.app.testing().sendRequest(.GET, "/health")
            let scraped = try await app.app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": "Bearer \(token)"])
            #expect(scraped.status == .ok)
            #expect(scraped.body.string.contains("http_requests_total"), "\(scraped.body.string.prefix(300))")
            for wrong in ["Bearer \(token)x", "Bearer \(token.dropLast())", "Bearer scrape", "Basic \(token)"] {
                let refused = try await app.app.testing().sendRequest(.GET, "/metrics", headers: ["Authorization": wrong])
                #expect(refused.status == .unauthorized, "\(wrong)")
            }
            // Staff sessions still work; the scrape token opens nothing else.
            let staff = try await app.login()
            #expect(try await app.request(.GET, "/metrics", token: staff).status == .ok)
            #expect(try await app.request(.GET, "/api/clients/", token: token).status == .unauthorized)
        }
    }
}
