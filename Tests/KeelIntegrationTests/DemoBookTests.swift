import Foundation
import KeelServices
import KeelTestSupport
import Testing

/// The demo's first start: a year of monthly rebalances replayed into the demo account through the ledger and the
/// paper broker's book (which agree), a model trained and deployed, today's cycle leaving a batch to approve.
@Suite("Demo book")
struct DemoBookTests {
    @Test("the first start seeds a year of executed history that reconciles, a deployed model, a completed cycle and a batch to approve; a second start adds nothing",
          arguments: TestDatabase.available)
    func firstStartLooksAlive(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let first = try await DemoDataSeeder(services: app.services).seed(advisorPassword: "demo-advisor-password")
            let replayed = try #require(first.replayedBatches)
            #expect(replayed >= 10, "about one rebalance a month: \(replayed)")
            let hash = first.accountHash
            #expect(try await app.count("trade_batches", where: "account_hash = '\(hash)' AND status = 'executed'") == replayed)
            let fills = try await app.count("fills", where: "account_hash = '\(hash)'")
            let brokerOrders = try await app.count("paper_broker_orders", where: "account_id = '\(hash)' AND status = 'filled'")
            #expect(fills > replayed && fills == brokerOrders, "one fill per order at the broker")
            let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0, accountHash: hash)
            #expect(report.mismatches.isEmpty, "the ledger and the paper broker's book agree: \(report.mismatches)")

            try await app.eventually("the demo model judged and today's cycle completed", timeout: 120) {
                // The deploy job retries while the model trains: the runner's backoff runs on the test clock.
                app.clock.advance(by: 10)
                let judged = try await app.count("jobs", where: "kind = 'demo.deploy_model' AND status = 'succeeded'")
                let cycles = try await app.count("cycle_runs", where: "status = 'completed'")
                return judged == 1 && cycles == 1
            }
            // The demo deploys its model only if the gate passed it: never by override.
            let passed = try await app.count("ml_models", where: "gate_passed = \(database == .postgres ? "true" : "1")")
            #expect(try await app.count("ml_models", where: "status = 'deployed'") == passed)
            #expect(try await app.count("model_deployments", where: "action = 'override'") == 0, "the demo never overrides the gate")
            #expect(try await app.count("trade_batches", where: "account_hash = '\(hash)' AND status = 'pending_approval'") == 1, "a batch waits for the advisor")
            #expect(try await app.count("alerts", where: "kind = 'batch_awaiting_approval'") >= 1)
            #expect(try await app.count("model_deployments", where: "action = 'deploy'") == passed)

            // The test database already has the advisor (with the fixtures' password): the demo reuses it.
            let token = try await app.login()
            let client = try await app.request(.GET, "/api/portfolio-health/\(first.clientID)", token: token)
            #expect(client.status == .ok, "\(client)")
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let page = try await app.browse(.GET, "/app/clients/\(first.clientID)", cookies: ["keel_session": cookie])
            #expect(page.body.contains("Value since inception") && page.body.contains("<polyline"))

            let again = try await DemoDataSeeder(services: app.services).seed(advisorPassword: nil)
            #expect(again.replayedBatches == nil && again.clientID == first.clientID)
            #expect(try await app.count("trade_batches", where: "account_hash = '\(hash)' AND status = 'executed'") == replayed, "a second start replays nothing")
        }
    }
}
