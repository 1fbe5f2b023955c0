import Foundation
import KeelBrokers
import KeelTestSupport
import SchwabSandbox
import Testing

@Suite("Schwab integration")
struct SchwabIntegrationTests {
    @Test("the OAuth flow through Keel's routes links every account of the login", arguments: TestDatabase.available)
    func completeOAuthFlow(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let authorize = try await s.app.request(.GET, "/api/schwab/authorize?client_id=\(clientID)", token: s.token)
            let url = try #require(authorize.object.string("authorize_url"))
            #expect(url.contains("client_id=\(SandboxHarness.appKey)") && url.contains("redirect_uri=") && url.contains("state="))

            let linked = try await s.link(clientID: clientID)
            #expect(linked.status == .ok, "\(linked)")
            #expect(linked.object.string("status") == "connected", "\(linked)")
            let accounts = linked.object.objects("accounts")
            let sandboxAccounts = await s.sandbox.control.accounts().filter { $0.user == "sandbox-user" }
            #expect(Set(accounts.compactMap { $0.string("account_hash") }) == Set(sandboxAccounts.map(\.hash)))
            #expect(accounts.allSatisfy { $0.string("brokerage") == "schwab" && $0.string("status") == "active" })
            #expect(Set(accounts.compactMap { $0.double("cash") }) == [250_000, 50_000], "cash synced from Schwab")

            let health = try await s.app.request(.GET, "/api/portfolio-health/\(clientID)", token: s.token).object
            let symbols = Dictionary(uniqueKeysWithValues: health.objects("positions").map { ($0.string("symbol") ?? "", $0.double("quantity") ?? 0) })
            #expect(symbols == ["SPY": 100, "AAPL": 50, "MSFT": 20], "positions synced from Schwab")

            let status = try await s.app.request(.GET, "/api/schwab/status/\(clientID)", token: s.token).object
            #expect(status.string("access_expires_at") != nil && status.string("refresh_expires_at") != nil)
            // The state is single-use: replaying the callback fails.
            let replay = try await s.app.request(.GET, "/api/schwab/callback?code=C0.x%40&state=reused")
            #expect(replay.status == .badRequest && replay.errorCode == "invalid_state")
            #expect(await s.sandbox.control.counters().codeExchanges == 1)
        }
    }

    @Test("access tokens are refreshed before they expire, once", arguments: TestDatabase.available)
    func tokenRefreshCycle(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            _ = try await s.link(clientID: clientID)
            let before = try await s.app.request(.GET, "/api/schwab/status/\(clientID)", token: s.token).object.string("access_expires_at")
            #expect(await s.sandbox.control.counters().refreshes == 0)

            s.app.clock.advance(by: 26 * 60) // inside the 5-minute leeway of the 30-minute token
            let token = try await s.app.login()
            #expect(try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: token).status == .ok)
            #expect(await s.sandbox.control.counters().refreshes == 1)
            let after = try await s.app.request(.GET, "/api/schwab/status/\(clientID)", token: token).object
            #expect(after.string("access_expires_at") != before)
            #expect(after.string("last_refreshed_at") != nil)

            s.app.clock.advance(by: 10 * 60)
            #expect(try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: token).status == .ok)
            #expect(await s.sandbox.control.counters().refreshes == 1, "the refreshed token is still fresh")
        }
    }

    @Test("authenticated calls read accounts, positions and quotes", arguments: TestDatabase.available)
    func authenticatedCalls(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let hash = try #require(try await s.link(clientID: clientID).object.objects("accounts").first { $0.double("cash") == 250_000 }?.string("account_hash"))
            let schwab = try #require(s.app.services.schwab)
            let snapshot = try await schwab.broker.accountSnapshot(accountID: hash)
            #expect(snapshot.cash == 250_000)
            #expect(Set(snapshot.positions.map(\.symbol)) == ["SPY", "AAPL"])
            let quotes = try await schwab.broker.quotes(symbols: ["SPY", "AAPL", "NOPE"], accountID: hash)
            #expect(Set(quotes.keys) == ["SPY", "AAPL"])
            #expect(quotes.values.allSatisfy { $0.last > 0 })
            let token = try await schwab.tokens.accessToken(clientID: clientID)
            let preferences = try await schwab.client.userPreference(accessToken: token)
            #expect(preferences.accounts.count == 2 && preferences.streamerInfo.count == 1)
            let history = try await schwab.client.priceHistory(accessToken: token, symbol: "SPY", periodType: "month", period: 1, frequencyType: "daily", frequency: 1)
            #expect(!history.candles.isEmpty)
            await #expect(throws: SchwabError.self) {
                _ = try await schwab.client.priceHistory(accessToken: token, symbol: "SPY", periodType: "day", period: 7, frequencyType: "daily", frequency: 1)
            }
            await #expect(throws: SchwabError.badRequest("Invalid account number; Invalid account number")) {
                _ = try await schwab.client.account(accessToken: token, hash: "12345678", positions: false)
            }
        }
    }

    @Test("an expired 7-day login disconnects the link, raises an alert and sends no order", arguments: TestDatabase.available)
    func refreshTokenExpiry(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            _ = try await s.link(clientID: clientID)
            s.app.clock.advance(by: 6 * 86_400 + 3_600)
            var token = try await s.app.login()
            #expect(try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: token).status == .ok)
            let warning = try await s.app.request(.GET, "/api/alerts?client_id=\(clientID)", token: token).array
            #expect(warning.contains { $0.string("kind") == "schwab_refresh_expiring" }, "alerted a day before the end")

            s.app.clock.advance(by: 86_400)
            token = try await s.app.login()
            let sync = try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: token)
            #expect(sync.status.code >= 400 && sync.status.code < 600 && sync.status != .internalServerError, "\(sync)")
            let status = try await s.app.request(.GET, "/api/schwab/status/\(clientID)", token: token).object
            #expect(status.string("status") == "disconnected")
            #expect(status.objects("accounts").allSatisfy { $0.string("status") == "disconnected" })
            #expect(status.objects("alerts").contains { $0.string("kind") == "schwab_disconnected" })

            let hash = try #require(status.objects("accounts").first?.string("account_hash"))
            let rebalance = try await s.app.request(.POST, "/api/rl/trading/rebalance", token: token,
                                                    json: ["client_id": clientID, "account_hash": hash, "portfolio_id": 2])
            #expect(rebalance.status == .conflict && rebalance.errorCode == "account_unavailable")
            #expect(await s.sandbox.control.counters().ordersPlaced == 0)

            // Logging in again reconnects everything.
            let relinked = try await s.link(clientID: clientID, token: token)
            #expect(relinked.object.string("status") == "connected")
            #expect(relinked.object.objects("accounts").allSatisfy { $0.string("status") == "active" })
        }
    }

    @Test("several clients, each with its own login and several accounts", arguments: TestDatabase.available)
    func severalClients(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let first = try await s.makeClient(1), second = try await s.makeClient(2)
            let a = try await s.link(clientID: first).object.objects("accounts")
            let b = try await s.link(clientID: second, user: "second-login").object.objects("accounts")
            #expect(a.count == 2 && b.count == 2)
            #expect(Set(a.compactMap { $0.string("account_hash") }).isDisjoint(with: b.compactMap { $0.string("account_hash") }))
            #expect(a.allSatisfy { $0.int("client_id") == first } && b.allSatisfy { $0.int("client_id") == second })
            // The first login's accounts cannot be linked to another client.
            let stolen = try await s.link(clientID: second)
            #expect(stolen.status == .conflict && stolen.errorCode == "account_linked_elsewhere")
        }
    }

    @Test("fifty concurrent requests needing a refresh cause exactly one refresh", arguments: TestDatabase.available)
    func concurrentRefresh(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let hash = try #require(try await s.link(clientID: clientID).object.objects("accounts").first?.string("account_hash"))
            s.app.clock.advance(by: 31 * 60)
            let broker = try #require(s.app.services.schwab?.broker)
            let cash = try await withThrowingTaskGroup(of: Decimal.self) { group in
                for _ in 0..<50 { group.addTask { try await broker.accountSnapshot(accountID: hash).cash } }
                return try await group.reduce(into: [Decimal]()) { $0.append($1) }
            }
            #expect(cash.count == 50 && Set(cash).count == 1)
            #expect(await s.sandbox.control.counters().refreshes == 1)
        }
    }

    /// Links a client, switches it to live trading on the balanced portfolio, and returns an approved batch.
    func approvedLiveBatch(_ s: SchwabScenario, clientIndex: Int = 0, user: String? = nil) async throws -> (clientID: Int, hash: String, batchID: String, orders: Int) {
        let clientID = try await s.makeClient(clientIndex)
        let linked = try await s.link(clientID: clientID, user: user)
        let hash = try #require(linked.object.objects("accounts").first { $0.string("account_type") == "margin" }?.string("account_hash"), "\(linked)")
        _ = try await s.app.request(.PUT, "/api/clients/\(clientID)/preferences", token: s.token, json: ["trading_mode": "live", "portfolio_id": 2])
        let batch = try await s.app.request(.POST, "/api/rl/trading/rebalance", token: s.token,
                                            json: ["client_id": clientID, "account_hash": hash, "portfolio_id": 2, "max_positions": 6, "require_approval": true])
        let batchID = try #require(batch.object.string("batch_id"), "\(batch)")
        let orders = batch.object.objects("orders").count
        #expect(orders >= 2, "\(batch)")
        #expect(try await s.app.request(.POST, "/api/rl/trading/batches/\(batchID)/approve", token: s.token).status == .ok)
        return (clientID, hash, batchID, orders)
    }

    @Test("an approved batch executes live at the sandbox and its fills reach Keel's positions", arguments: TestDatabase.available)
    func liveExecution(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let (clientID, hash, batchID, orders) = try await approvedLiveBatch(s)
            let result = try await s.app.request(.POST, "/api/rl/trading/execute-batch", token: s.token, json: ["batch_id": batchID, "dry_run": false])
            #expect(result.status == .ok, "\(result)")
            #expect(result.object.string("mode") == "live")
            #expect(result.object.string("status") == "executed", "\(result)")
            #expect(await s.sandbox.control.counters().ordersPlaced == orders)
            let atSchwab = try #require(await s.sandbox.control.accounts().first { $0.hash == hash })
            let health = try await s.app.request(.GET, "/api/portfolio-health/\(clientID)", token: s.token).object
            let account = try #require(health.objects("accounts").first { $0.string("account_hash") == hash })
            let keel = Dictionary(uniqueKeysWithValues: account.objects("positions").map { ($0.string("symbol") ?? "", $0.double("quantity") ?? 0) })
            #expect(keel == atSchwab.positions, "Keel's positions equal Schwab's after the fills")
            #expect(abs((account.double("cash") ?? 0) - atSchwab.cash) < 0.011)
            #expect(try await s.app.count("fills") == orders)
            #expect(try await s.app.count("broker_calls", where: "broker = 'schwab' AND operation = 'place_order'") == orders)
        }
    }

    @Test("a timeout after Schwab accepted an order is resolved without a duplicate order", arguments: TestDatabase.available)
    func timeoutDoesNotDuplicate(database: TestDatabase) async throws {
        // Generous timeouts: the whole suite shares two cores; only the faulted call must outlast its timeout.
        try await SchwabScenario.run(on: database, requestTimeout: 8) { s in
            let (_, hash, batchID, _) = try await approvedLiveBatch(s)
            await s.sandbox.control.addFault(ChaosRule(fault: .timeoutAfterProcessing, pathPrefix: "/trader/v1/accounts/\(hash)/orders",
                                                       method: "POST", count: 1, delaySeconds: 12))
            let result = try await s.app.request(.POST, "/api/rl/trading/execute-batch", token: s.token, json: ["batch_id": batchID, "dry_run": false])
            #expect(result.status == .ok, "\(result)")
            #expect(result.object.string("status") == "needs_reconciliation")
            #expect(await s.sandbox.control.counters().ordersPlaced == 1, "nothing is sent after an order of unknown fate")

            let report = try await s.app.request(.POST, "/api/system/reconcile", token: s.token).object
            #expect(report.int("orders_resolved") == 1)
            let batch = try await s.app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: s.token).object
            let statuses = batch.objects("orders").map { $0.string("status") ?? "" }
            #expect(statuses.first == "filled", "the accepted order was found at Schwab: \(statuses)")
            #expect(statuses.dropFirst().allSatisfy { $0 == "cancelled" })
            #expect(batch.string("status") == "partially_executed")
            #expect(await s.sandbox.control.counters().ordersPlaced == 1, "the order was not sent twice")
            #expect(try await s.app.count("fills") == 1)
        }
    }

    /// Runs `body` while moving the test clock on in small steps, for work that waits on the clock.
    static func whileMovingTime<T: Sendable>(_ app: KeelTestApp, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while !Task.isCancelled {
                    try await Task.sleep(nanoseconds: 20_000_000)
                    app.clock.advance(by: 0.25)
                }
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }

    @Test("429 is retried after Retry-After, 5xx on reads is retried, a 5xx on an order is never re-sent", arguments: TestDatabase.available)
    func rateLimitsAndServerErrors(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            _ = try await s.link(clientID: clientID)
            await s.sandbox.control.setFaults([ChaosRule(fault: .rateLimited, pathPrefix: "/trader/v1/accounts", method: "GET", count: 1, retryAfterSeconds: 1)])
            let before = await s.sandbox.control.counters().apiRequests
            // The client waits on the injected clock: the request finishes only once time is moved past Retry-After.
            let started = s.app.clock.now()
            #expect(try await Self.whileMovingTime(s.app) { try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: s.token) }.status == .ok)
            #expect(s.app.clock.now().timeIntervalSince(started) >= 1, "it waited Retry-After on the clock")
            #expect(await s.sandbox.control.counters().apiRequests > before + 1, "the throttled call was repeated")

            await s.sandbox.control.setFaults([ChaosRule(fault: .serverError, pathPrefix: "/trader/v1/accounts", method: "GET", count: 1)])
            #expect(try await Self.whileMovingTime(s.app) { try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: s.token) }.status == .ok,
                    "a read survives one 500")

            for fault in [ChaosRule.Fault.plainText404, .htmlAccessDenied, .unavailable] {
                await s.sandbox.control.setFaults([ChaosRule(fault: fault, pathPrefix: "/trader/v1/accounts", method: "GET", count: nil)])
                let failed = try await Self.whileMovingTime(s.app) { try await s.app.request(.POST, "/api/schwab/sync/\(clientID)", token: s.token) }
                #expect(failed.status == .serviceUnavailable, "\(fault): \(failed)")
                #expect(failed.errorCode == "schwab_unavailable")
            }
            await s.sandbox.control.setFaults([])

            // An order answered with 503 is of unknown fate: not re-sent; reconciliation finds nothing and cancels it.
            let (_, hash, batchID, _) = try await approvedLiveBatch(s, clientIndex: 9, user: "another-login")
            await s.sandbox.control.setFaults([ChaosRule(fault: .unavailable, pathPrefix: "/trader/v1/accounts/\(hash)/orders", method: "POST", count: 1)])
            let result = try await s.app.request(.POST, "/api/rl/trading/execute-batch", token: s.token, json: ["batch_id": batchID, "dry_run": false])
            #expect(result.object.string("status") == "needs_reconciliation", "\(result)")
            let placed = await s.sandbox.control.counters().ordersPlaced
            #expect(placed == 0)
            _ = try await s.app.request(.POST, "/api/system/reconcile", token: s.token)
            let batch = try await s.app.request(.GET, "/api/rl/trading/batches/\(batchID)", token: s.token).object
            #expect(batch.objects("orders").allSatisfy { $0.string("status") == "cancelled" })
            #expect(batch.string("status") == "failed")
            #expect(await s.sandbox.control.counters().ordersPlaced == 0)
        }
    }

    @Test("Schwab price history feeds the data pipeline", arguments: TestDatabase.available)
    func priceHistoryProvider(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            _ = try await s.link(clientID: clientID)
            let run = try await s.app.request(.POST, "/api/data/pipeline/runs", token: s.token, json: [
                "source": "schwab", "client_id": clientID, "symbols": ["SPY", "AAPL"], "years": 1, "mode": "full", "wait": true,
            ])
            #expect(run.object.string("status") == "succeeded", "\(run)")
            #expect((run.object.int("bars_stored") ?? 0) > 400, "about a year of daily bars for each of two symbols")
            #expect(try await s.app.count("market_bars", where: "source = 'schwab(client \(clientID))'") == run.object.int("bars_stored"))
            let badPeriod = try await s.app.request(.POST, "/api/data/pipeline/runs", token: s.token,
                                                    json: ["source": "schwab", "client_id": clientID, "symbols": ["SPY"], "years": 4, "wait": true])
            #expect(badPeriod.status == .unprocessableEntity)
        }
    }

    @Test("the sandbox's order lifecycle: working limit, replace, cancel, fill, outside hours", arguments: [TestDatabase.sqlite])
    func orderLifecycle(database: TestDatabase) async throws {
        try await SchwabScenario.run(on: database) { s in
            let clientID = try await s.makeClient()
            let hash = try #require(try await s.link(clientID: clientID).object.objects("accounts").first { $0.string("account_type") == "margin" }?.string("account_hash"))
            let schwab = try #require(s.app.services.schwab)
            let token = try await schwab.tokens.accessToken(clientID: clientID)
            let low = SchwabOrderRequest.equity(symbol: "SPY", instruction: "BUY", quantity: 1, limitPrice: 1)
            let id = try await schwab.client.placeOrder(accessToken: token, hash: hash, order: low)
            #expect(try await schwab.client.order(accessToken: token, hash: hash, orderID: id).status == "WORKING", "a limit far below the market works")
            let replacement = try await schwab.client.replaceOrder(accessToken: token, hash: hash, orderID: id,
                                                                   with: SchwabOrderRequest.equity(symbol: "SPY", instruction: "BUY", quantity: 2, limitPrice: 2))
            #expect(try await schwab.client.order(accessToken: token, hash: hash, orderID: id).status == "REPLACED")
            try await schwab.client.cancelOrder(accessToken: token, hash: hash, orderID: replacement)
            let cancelled = try await schwab.client.order(accessToken: token, hash: hash, orderID: replacement)
            #expect(cancelled.status == "CANCELED" && cancelled.cancelable == false)
            await #expect(throws: SchwabError.self) { try await schwab.client.cancelOrder(accessToken: token, hash: hash, orderID: replacement) }

            let market = SchwabOrderRequest.equity(symbol: "SPY", instruction: "BUY", quantity: 1)
            let filled = try await schwab.client.order(accessToken: token, hash: hash, orderID: try await schwab.client.placeOrder(accessToken: token, hash: hash, order: market))
            #expect(filled.status == "FILLED" && filled.executions.count == 1)
            let window = try await schwab.client.orders(accessToken: token, hash: hash, from: s.app.clock.now().addingTimeInterval(-60),
                                                        to: s.app.clock.now().addingTimeInterval(60))
            #expect(window.count == 3, "the replaced, the cancelled and the filled order")

            s.app.clock.advance(by: 5 * 86_400) // Saturday: the market is closed
            let fresh = try await schwab.tokens.accessToken(clientID: clientID)
            let waiting = try await schwab.client.placeOrder(accessToken: fresh, hash: hash, order: market)
            #expect(try await schwab.client.order(accessToken: fresh, hash: hash, orderID: waiting).status == "PENDING_ACTIVATION")
            let transactions = try await schwab.client.transactions(accessToken: fresh, hash: hash, start: s.app.clock.now().addingTimeInterval(-10 * 86_400),
                                                                    end: s.app.clock.now())
            #expect(transactions.count == 1 && transactions.first?.type == "TRADE")
        }
    }
}
