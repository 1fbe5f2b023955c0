import Foundation
import KeelServices
import KeelStore
import KeelTestSupport
import Testing
import Vapor
import VaporTesting

/// Token checks, portfolio health and client reads are served from memory while nothing is written; these prove
/// a write ends that at once in the process and, on PostgreSQL, within the refresh bound in another process.
@Suite("Cached reads")
struct CachedReadTests {
    @Test("a write in this process is visible to the next read of health, client and token", arguments: TestDatabase.available)
    func writesExpireCachedReadsAtOnce(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let before = try await scenario.health(app)
            #expect(before.status == .ok)

            let update = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token,
                                               json: ["drift_threshold": 0.11])
            #expect(update.status == .ok, "\(update)")
            #expect(try await scenario.health(app).object.double("drift_threshold") == 0.11)

            let renamed = try await app.request(.PATCH, "/api/clients/\(scenario.clientID)", token: scenario.token, json: ["first_name": "Renamed"])
            #expect(renamed.status == .ok, "\(renamed)")
            #expect(try await app.request(.GET, "/api/clients/\(scenario.clientID)", token: scenario.token).object.string("first_name") == "Renamed")

            #expect(try await app.request(.GET, "/api/auth/me", token: scenario.token).status == .ok)
            #expect(try await app.request(.POST, "/api/auth/logout", token: scenario.token).status == .noContent)
            #expect(try await app.request(.GET, "/api/auth/me", token: scenario.token).status == .unauthorized, "revoked at once")
        }
    }

    @Test("job-queue bookkeeping leaves cached reads valid; any other write expires them")
    func writeScopes() async throws {
        try await KeelTestApp.run(on: .sqlite) { app in
            let start = await app.database.writeStamp()
            _ = try await app.database.write(.jobQueue) { try await $0.jobs.recoverExpired(at: Date()) }
            #expect(await app.database.writeStamp() == start)
            _ = try await app.database.write { try await $0.jobs.recoverExpired(at: Date()) }
            #expect(await app.database.writeStamp() != start)
        }
    }

    @Test("on PostgreSQL another process's logout and preference change reach this process's cached reads")
    func otherProcessesWritesArrive() async throws {
        guard TestDatabase.available.contains(.postgres) else { return }
        try await KeelTestApp.run(on: .postgres) { app in
            let scenario = try await TradingScenario.make(app)
            #expect(try await scenario.health(app).status == .ok)
            #expect(try await app.request(.GET, "/api/auth/me", token: scenario.token).status == .ok)
            try await app.secondInstance { other in
                var headers = HTTPHeaders()
                headers.bearerAuthorization = BearerAuthorization(token: scenario.token)
                headers.contentType = .json
                let update = try await other.testing().sendRequest(.PUT, "/api/clients/\(scenario.clientID)/preferences", headers: headers,
                                                                   body: ByteBuffer(string: "{\"drift_threshold\":0.12}"))
                #expect(update.status == .ok)
                // The test clock does not move, so the cache lifetime cannot be what expired the entry: only the
                // shared write stamp can have.
                try await app.eventually("the other process's preference change", timeout: 10) {
                    try await scenario.health(app).object.double("drift_threshold") == 0.12
                }

                #expect(try await other.testing().sendRequest(.POST, "/api/auth/logout", headers: headers).status == .noContent)
                try await app.eventually("the other process's logout", timeout: 5) {
                    try await app.request(.GET, "/api/auth/me", token: scenario.token).status == .unauthorized
                }
            }
        }
    }
}
