import Foundation
import KeelCore
import KeelServices
import KeelStore
import KeelTestSupport
import Testing

/// The set-based cycle reads a chunk's books with one query per kind. Each of those reads must answer, account by
/// account, exactly what the per-account read answers, on both databases (window functions, grouped maxima and
/// per-account cut-offs are where SQLite and PostgreSQL could part).
@Suite("Chunk reads")
struct ChunkReadTests {
    @Test("one query per kind for many accounts answers what one query per account answers", arguments: TestDatabase.available)
    func setReadsMatchPerAccountReads(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            var made: [TradingScenario] = []
            for index in 0..<4 { made.append(try await TradingScenario.make(app, factory: Factory(seed: UInt64(900 + index)))) }
            let scenarios = made
            let hashes = scenarios.map(\.accountHash)
            let base = app.clock.now()
            var generator = SeededGenerator(seed: 7)
            let moves = (0..<20).map { _ in Double.random(in: -0.2...0.2, using: &generator) }
            let admin = Principal(userID: "test", role: .admin, clientID: nil)
            // Days of performance (a different number per account, one with none), flows at different times, states,
            // a paused client and goals of each scope.
            try await app.database.write { session in
                for (index, scenario) in scenarios.enumerated() where index > 0 {
                    for day in 0..<(index * 4) {
                        let value = 100_000 * (1 + moves[day])
                        try await session.performance.record(AccountPerformanceRecord(
                            accountHash: scenario.accountHash, clientID: scenario.clientID, day: String(format: "2026-05-%02d", day + 1),
                            strategy: day % 3 == 0 ? "momentum" : "balanced", portfolioValue: value, dailyReturn: day == 0 ? nil : 0.001 * Double(day),
                            benchmarkClose: 500, benchmarkReturn: nil, cycleID: nil, recordedAt: base.addingTimeInterval(Double(day - 40) * 86_400),
                            netFlow: 0, unitValue: day % 5 == 4 ? nil : value / 100_000))
                    }
                    for flow in 0..<index {
                        try await session.cashFlows.insert(CashFlowRecord(
                            flowID: "flow-\(index)-\(flow)", accountHash: scenario.accountHash, clientID: scenario.clientID, day: "2026-05-20",
                            amount: Decimal(1_000 * (flow + 1)) * (flow % 2 == 0 ? 1 : -1), note: nil, recordedBy: "test",
                            createdAt: base.addingTimeInterval(Double(flow * 3 - 35) * 86_400)))
                    }
                    try await session.autonomy.save(AccountAutonomyRecord(
                        accountHash: scenario.accountHash, clientID: scenario.clientID, strategy: "balanced", portfolioID: 1, reason: "test",
                        regime: nil, selectedAt: base, switches: index, deriskedAt: nil, deriskReason: nil, demotedStrategy: nil, demotedUntil: nil,
                        updatedAt: base))
                }
            }
            let paused = try await app.request(.POST, "/api/clients/\(scenarios[1].clientID)/pause", token: scenarios[1].token, json: ["reason": "test"])
            #expect(paused.status == .ok)
            let clients = try await app.database.read { try await $0.clients.find(ids: scenarios.map(\.clientID)) }
            for (index, scenario) in scenarios.enumerated() {
                let userID = try #require(clients[scenario.clientID]?.tradingUserID)
                _ = try await app.services.goals.create(GoalInput(userID: userID, name: "account goal \(index)", goalType: "monthly_return", targetValue: 2,
                                                                  clientID: scenario.clientID, accountHash: scenario.accountHash), by: admin)
                if index % 2 == 0 {
                    _ = try await app.services.goals.create(GoalInput(userID: userID, name: "client goal \(index)", goalType: "monthly_return",
                                                                      targetValue: 1, clientID: scenario.clientID), by: admin)
                }
            }

            try await app.database.read { session in
                // The references: every row of each account, filtered and reduced here.
                var everyRow: [String: [AccountPerformanceRecord]] = [:]
                var everyFlow: [String: [CashFlowRecord]] = [:]
                for hash in hashes {
                    everyRow[hash] = try await session.performance.history(accountHash: hash, limit: 1_000)
                    everyFlow[hash] = try await session.cashFlows.list(accountHash: hash, limit: 1_000)
                }
                for limit in [1, 3, 100] {
                    let together = try await session.performance.histories(accountHashes: hashes, limit: limit)
                    let before = try await session.performance.histories(accountHashes: hashes, before: "2026-05-06", limit: limit)
                    for hash in hashes {
                        #expect(together[hash] ?? [] == (try await session.performance.history(accountHash: hash, limit: limit)), "\(hash) last \(limit)")
                        #expect(before[hash] ?? [] == Array((everyRow[hash] ?? []).filter { $0.day < "2026-05-06" }.suffix(limit)), "\(hash) before, \(limit)")
                    }
                }
                for since in [nil, "2026-05-03", "2026-06-01"] as [String?] {
                    let peaks = try await session.performance.peakUnitValues(accountHashes: hashes, since: since)
                    for hash in hashes {
                        let peak = (everyRow[hash] ?? []).filter { row in since.map { row.day >= $0 } ?? true }.map(\.unitValue).max()
                        #expect(peaks[hash] == peak, "\(hash) since \(since ?? "-")")
                    }
                }
                let cutoffs: [String: Date?] = Dictionary(uniqueKeysWithValues: hashes.enumerated().map { index, hash in
                    (hash, index == 0 ? nil : base.addingTimeInterval(Double(index * 2 - 36) * 86_400))
                })
                let flows = try await session.cashFlows.netFlows(after: cutoffs, through: base)
                for hash in hashes {
                    let after = cutoffs[hash] ?? nil
                    let one = (everyFlow[hash] ?? []).filter { flow in flow.createdAt <= base && after.map { flow.createdAt > $0 } ?? true }
                        .reduce(Decimal(0)) { $0 + $1.amount }
                    #expect((flows[hash] ?? 0) == one, "\(hash): \(flows[hash] ?? 0) vs \(one)")
                }
                #expect(flows.values.contains { $0 != 0 }, "some flows fall inside the cut-offs")
                // Clients decoded from rows (the cycle's path) answer what the list (the model's mapping) answers.
                let listed = try await session.clients.list(status: nil, limit: 100, offset: 0)
                let decoded = try await session.clients.find(ids: listed.map(\.clientID))
                #expect(listed.count >= scenarios.count)
                for client in listed { #expect(decoded[client.clientID] == client, "client \(client.clientID)") }
                let states = try await session.autonomy.states(accountHashes: hashes)
                for hash in hashes { #expect(states[hash] == (try await session.autonomy.state(accountHash: hash))) }
                let controls = try await session.autonomy.controls(clientIDs: scenarios.map(\.clientID))
                #expect(controls.keys.sorted() == [scenarios[1].clientID] && controls[scenarios[1].clientID]?.paused == true)
                let goals = try await session.goals.goals(touchingAny: scenarios.map { ($0.accountHash, $0.clientID, clients[$0.clientID]?.tradingUserID) },
                                                          statuses: [.active, .atRisk, .achieved, .failed])
                for scenario in scenarios {
                    let userID = clients[scenario.clientID]?.tradingUserID
                    let alone = try await session.goals.goals(touching: scenario.accountHash, clientID: scenario.clientID, userID: userID,
                                                              statuses: [.active, .atRisk, .achieved, .failed])
                    let picked = goals.filter { $0.touches(accountHash: scenario.accountHash, clientID: scenario.clientID, userID: userID) }
                    #expect(picked.map(\.goalID) == alone.map(\.goalID), "\(scenario.accountHash)")
                    #expect(!picked.isEmpty)
                }
            }
        }
    }
}
