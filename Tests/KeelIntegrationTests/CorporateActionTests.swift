import Foundation
@_spi(RawSQL) import KeelStore
import KeelCore
import KeelServices
import KeelTestSupport
import Testing
import Vapor

/// Splits through the real API: recorded ahead of the ex-date, applied once when it begins to Keel's positions,
/// lots and open trades, matched by the paper broker's own books, and stale batches expired.
@Suite("Corporate actions")
struct CorporateActionTests {
    /// A held stock of the scenario's account (whole shares; crypto never splits) also bought by `orders`.
    static func heldSymbol(_ app: KeelTestApp, _ scenario: TradingScenario, alsoIn orders: [[String: Any]]) async throws -> (String, Decimal) {
        let positions = try await TaxLotLedgerTests.positions(app, scenario)
        let wanted = Set(orders.compactMap { $0.string("symbol") })
        return try #require(positions.filter { !$0.key.contains("-") && $0.value == $0.value.rounded(scale: 0) && wanted.contains($0.key) }
            .min { $0.key < $1.key })
    }

    /// The lots' shares per symbol, read from the ledger (tokens expire when the test clock passes a day).
    static func lotShares(_ app: KeelTestApp, _ hash: String) async throws -> [String: Decimal] {
        try await app.database.read { try await $0.taxLots.heldQuantities(accountHashes: [hash]) }[hash] ?? [:]
    }

    static func tomorrow(_ app: KeelTestApp) -> String { CivilDay(app.clock.now()).adding(days: 1).description }

    static func openTradeShares(_ app: KeelTestApp, _ hash: String, _ symbol: String) async throws -> Decimal {
        try await app.database.read { try await $0.ledger.openTrades(accountHash: hash, symbol: symbol) }.reduce(0) { $0 + $1.quantity }
    }

    @Test("a 2-for-1 split applies at its ex-date: positions, lots, open trades and the paper broker agree in new shares; a batch planned before it expires; recording it again changes nothing",
          arguments: TestDatabase.available)
    func aSplitAppliesOnceAtItsExDate(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let holder = try await TradingScenario.make(app)
            #expect(try await holder.execute(app, batchID: try await holder.approvedBatch(app), dryRun: false).status == .ok)
            let planner = try await TradingScenario.make(app, factory: Factory(seed: 7))
            let pending = try await planner.rebalance(app)
            let pendingID = try #require(pending.object.string("batch_id"), "\(pending)")
            let (symbol, shares) = try await Self.heldSymbol(app, holder, alsoIn: pending.object.objects("orders"))
            let costBefore = try #require(try await app.database.read { try await $0.ledger.position(accountHash: holder.accountHash, symbol: symbol) }).averageCost
            #expect(try await Self.openTradeShares(app, holder.accountHash, symbol) == shares)

            let admin = try await app.loginAdmin()
            let body: [String: any Sendable] = ["symbol": symbol.lowercased(), "ex_date": Self.tomorrow(app), "new_shares": 2, "old_shares": 1]
            let recorded = try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: body)
            #expect(recorded.status == .created, "\(recorded)")
            #expect(recorded.object.string("status") == "scheduled" && recorded.object.string("symbol") == symbol)
            let again = try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: body)
            #expect(again.status == .ok && again.object.string("action_id") == recorded.object.string("action_id"), "\(again)")
            var other = body
            other["new_shares"] = 3
            #expect(try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: other).errorCode == "conflicting_split")
            #expect(try await app.request(.POST, "/api/corporate-actions/splits", token: holder.token, json: body).status == .forbidden,
                    "recording a split is an administrator's act")

            // Before the ex-date nothing moves, and the books agree.
            #expect(try await app.services.reconciliation.reconcile(inFlightGrace: 0).mismatches.isEmpty)
            #expect(try await TaxLotLedgerTests.positions(app, holder)[symbol] == shares)

            app.clock.advance(by: 86_400)
            let token = try await app.login()
            let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
            #expect(report.mismatches.isEmpty, "the paper broker's books scaled the same shares: \(report.mismatches)")
            #expect(report.lotMismatches.isEmpty)
            let positions = try await TaxLotLedgerTests.positions(app, holder)
            #expect(positions[symbol] == shares * 2)
            #expect(try await Self.lotShares(app, holder.accountHash) == positions, "the lots hold the new shares")
            let position = try #require(try await app.database.read { try await $0.ledger.position(accountHash: holder.accountHash, symbol: symbol) })
            #expect(position.averageCost == (costBefore / 2).rounded(scale: 10))
            #expect(try await Self.openTradeShares(app, holder.accountHash, symbol) == shares * 2)
            let stale = try #require(try await app.database.read { try await $0.batches.find(pendingID) })
            #expect(stale.status == .expired && stale.error?.contains("split of \(symbol)") == true, "\(stale.status) \(stale.error ?? "")")

            // Applied once: later passes and a second look change nothing.
            _ = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
            #expect(try await TaxLotLedgerTests.positions(app, holder)[symbol] == shares * 2)
            let listed = try await app.request(.GET, "/api/corporate-actions/splits?symbol=\(symbol)", token: token)
            #expect(listed.status == .ok && listed.array.count == 1, "\(listed)")
            #expect(listed.array.first?.string("status") == "applied" && listed.array.first?.int("batches_expired") == 1)
            #expect(try await app.count("audit_log", where: "action = 'corporate_action.split_applied'") == 1)
            // A new plan is made in the new shares and the account trades on.
            let fresh = try await app.request(.POST, "/api/rl/trading/rebalance", token: token, json: [
                "client_id": holder.clientID, "account_hash": holder.accountHash, "portfolio_id": 1, "max_positions": 10, "require_approval": false,
            ])
            #expect(fresh.status == .ok, "\(fresh)")
        }
    }

    @Test("a reverse split that leaves a fraction of a share pays it in cash at the last close before the ex-date: whole shares kept, the fraction realised from the lots and closed from the trades, the paper broker's cash and shares the same",
          arguments: TestDatabase.available)
    func aReverseSplitPaysCashInLieu(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let holder = try await TradingScenario.make(app)
            #expect(try await holder.execute(app, batchID: try await holder.approvedBatch(app), dryRun: false).status == .ok)
            let held = try await TaxLotLedgerTests.positions(app, holder)
            // A stock whose shares the reverse split does not divide, keeping at least one new share.
            let candidates = held.filter { !$0.key.contains("-") && $0.value == $0.value.rounded(scale: 0) }.sorted { $0.key < $1.key }
            let (symbol, shares, oldShares) = try #require(candidates.lazy.compactMap { symbol, shares -> (String, Decimal, Int)? in
                [4, 5, 8, 10, 16, 20].first { Decimal($0) <= shares && shares / Decimal($0) != (shares / Decimal($0)).rounded(scale: 0, mode: .down) }
                    .map { (symbol, shares, $0) }
            }.first, "a held stock of \(held)")
            let cashBefore = try #require(try await app.database.read { try await $0.accounts.find(hash: holder.accountHash) }).cash
            let admin = try await app.loginAdmin()
            let exDate = CivilDay(app.clock.now()).adding(days: 1)
            let recorded = try await app.request(.POST, "/api/corporate-actions/splits", token: admin,
                                                 json: ["symbol": symbol, "ex_date": exDate.description, "new_shares": 1, "old_shares": oldShares])
            #expect(recorded.status == .created && recorded.object["cash_in_lieu_price"] == nil, "no price before the ex-date: \(recorded)")
            let unpriced = try await app.request(.POST, "/api/corporate-actions/splits", token: admin,
                                                 json: ["symbol": "NOBARS", "ex_date": exDate.description, "new_shares": 1, "old_shares": 8])
            #expect(unpriced.status == .created, "\(unpriced)")

            app.clock.advance(by: 86_400)
            let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
            #expect(report.mismatches.isEmpty, "the paper broker paid the same cash for the same fraction: \(report.mismatches)")
            #expect(report.lotMismatches.isEmpty)

            let close = try #require(try await app.database.read { try await $0.marketBars.close(symbol: symbol, before: exDate.date) })
            let price = (Decimal(close).rounded(scale: 4) * Decimal(oldShares)).rounded(scale: 4)
            let scaled = shares / Decimal(oldShares)
            let kept = scaled.rounded(scale: 0, mode: .down)
            let fraction = scaled - kept
            #expect(try await TaxLotLedgerTests.positions(app, holder)[symbol] == kept)
            #expect(try await Self.lotShares(app, holder.accountHash)[symbol] == kept, "the lots hold the whole shares")
            let cashAfter = try #require(try await app.database.read { try await $0.accounts.find(hash: holder.accountHash) }).cash
            #expect(cashAfter - cashBefore == (fraction * price).roundedToCents, "\(cashAfter) - \(cashBefore), \(fraction) at \(price)")
            #expect(try await Self.openTradeShares(app, holder.accountHash, symbol) == kept)
            let closedTrades = try await app.database.read { try await $0.ledger.trades(accountHash: holder.accountHash) }
                .filter { $0.symbol == symbol && $0.status == .closed && $0.exitTime == exDate.date }
            #expect(closedTrades.reduce(Decimal(0)) { $0 + $1.quantity } == fraction && closedTrades.allSatisfy { $0.exitPrice == price })

            // The fraction is a sale on the ex-date, realised lot by lot at the cash-in-lieu price.
            let realized = try await app.database.read { try await $0.taxLots.realized(clientID: holder.clientID, year: exDate.components.year) }
                .map(\.lot).filter { $0.symbol == symbol && $0.soldOn == exDate }
            #expect(realized.reduce(Decimal(0)) { $0 + $1.quantity } == fraction, "\(realized)")
            #expect(realized.reduce(Decimal(0)) { $0 + $1.proceeds } == fraction * price)

            let listed = try await app.request(.GET, "/api/corporate-actions/splits?symbol=\(symbol)", token: try await app.loginAdmin())
            #expect(TaxLotLedgerTests.decimal(listed.array.first?["cash_in_lieu_price"]) == price, "\(listed)")
            let noBars = try #require(try await app.database.read { try await $0.corporateActions.list(symbol: "NOBARS", limit: 1) }.first)
            #expect(noBars.pricedAt != nil && noBars.split.cashInLieuPrice == nil, "no close to price a fraction by: fractions are kept")
            // Applied once: another pass pays nothing more.
            _ = try await app.services.corporateActions.applyDue()
            #expect(try await app.services.reconciliation.reconcile(inFlightGrace: 0).mismatches.isEmpty)
            #expect(try #require(try await app.database.read { try await $0.accounts.find(hash: holder.accountHash) }).cash == cashAfter)
        }
    }

    @Test("bad split requests are refused with the field at fault", arguments: TestDatabase.available)
    func badSplitsAreRefused(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let admin = try await app.loginAdmin()
            let good: [String: any Sendable] = ["symbol": "AAPL", "ex_date": Self.tomorrow(app), "new_shares": 4, "old_shares": 1]
            let cases: [(String, any Sendable, String)] = [
                ("symbol", "", "symbol"), ("symbol", "A A; DROP", "symbol"), ("ex_date", CivilDay(app.clock.now()).description, "ex_date"),
                ("ex_date", "2026-02-30", "ex_date"), ("ex_date", "3026-01-01", "ex_date"), ("new_shares", 0, "new_shares"),
                ("new_shares", 1, "new_shares"), ("old_shares", 3, "old_shares"), ("old_shares", 100_000, "old_shares"),
            ]
            for (field, value, expected) in cases {
                var body = good
                body[field] = value
                let answer = try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: body)
                #expect(answer.status == .unprocessableEntity && answer.errorField == expected, "\(field)=\(value): \(answer)")
            }
            for field in ["symbol", "ex_date", "new_shares", "old_shares"] {
                var body = good
                body.removeValue(forKey: field)
                #expect(try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: body).errorField == field)
            }
            #expect(try await app.request(.GET, "/api/corporate-actions/splits?limit=0", token: admin).errorField == "limit")
            #expect(try await app.count("corporate_actions") == 0)
        }
    }

    @Test("concurrent recordings and concurrent appliers (list requests, reconciliations, direct calls) apply a split exactly once",
          arguments: TestDatabase.available)
    func concurrentAppliersApplyOnce(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let holder = try await TradingScenario.make(app)
            #expect(try await holder.execute(app, batchID: try await holder.approvedBatch(app), dryRun: false).status == .ok)
            let positions = try await TaxLotLedgerTests.positions(app, holder)
            // An odd count where there is one, so the appliers also race to fix the cash-in-lieu price of its half share.
            func odd(_ shares: Decimal) -> Bool { (shares / 2).rounded(scale: 0, mode: .down) * 2 != shares }
            let (symbol, shares) = try #require(positions.filter { !$0.key.contains("-") && $0.value == $0.value.rounded(scale: 0) }
                .min { (odd($0.value) ? 0 : 1, $0.key) < (odd($1.value) ? 0 : 1, $1.key) })
            let cashBefore = try #require(try await app.database.read { try await $0.accounts.find(hash: holder.accountHash) }).cash
            let admin = try await app.loginAdmin()
            let body: [String: any Sendable] = ["symbol": symbol, "ex_date": Self.tomorrow(app), "new_shares": 3, "old_shares": 2]
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await app.request(.POST, "/api/corporate-actions/splits", token: admin, json: body).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 1 && statuses.filter { $0 == 200 }.count == 7, "\(statuses)")
            #expect(odd(shares), "the scenario holds a stock in an odd count: \(positions)")
            #expect(try await app.count("corporate_actions") == 1)

            app.clock.advance(by: 86_400)
            let adminToday = try await app.loginAdmin()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        switch index % 3 {
                        case 0: _ = try await app.services.reconciliation.reconcile(inFlightGrace: 0)
                        case 1: _ = try await app.request(.GET, "/api/corporate-actions/splits", token: adminToday)
                        default: _ = try await app.services.corporateActions.applyDue()
                        }
                    }
                }
                try await group.waitForAll()
            }
            // An odd count leaves half a share, paid in cash at one price whichever applier fixed it.
            let kept = (shares * Decimal(string: "1.5")!).rounded(scale: 0, mode: .down)
            #expect(try await TaxLotLedgerTests.positions(app, holder)[symbol] == kept)
            #expect(try await Self.lotShares(app, holder.accountHash)[symbol] == kept)
            #expect(try await app.count("audit_log", where: "action = 'corporate_action.split_applied'") == 1)
            let record = try #require(try await app.database.read { try await $0.corporateActions.list(symbol: symbol, limit: 1) }.first)
            #expect(record.pricedAt != nil && record.split.cashInLieuPrice != nil, "a stock's price is fixed when the split takes effect")
            let cashAfter = try #require(try await app.database.read { try await $0.accounts.find(hash: holder.accountHash) }).cash
            let paid = odd(shares) ? (Decimal(string: "0.5")! * (record.split.cashInLieuPrice ?? 0)).roundedToCents : 0
            #expect(cashAfter - cashBefore == paid, "the half share paid once: \(cashBefore) -> \(cashAfter), \(paid)")
            #expect(try await app.services.reconciliation.reconcile(inFlightGrace: 0).mismatches.isEmpty)
        }
    }

    @Test("the data page lists splits; an administrator schedules one from it (each bad field named), an advisor sees no form and is refused",
          arguments: TestDatabase.available)
    func splitsOnTheDataPage(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, configure: { $0.runWorker = false }) { app in
            let (_, adminSession) = try await WorkspaceSessionTests.signIn(app, user: "admin", password: TestFixtures.adminPassword, next: "/app/data")
            let admin = try #require(adminSession)
            let page = try await app.browse(.GET, "/app/data", cookies: ["keel_session": admin])
            #expect(page.status == .ok && page.body.contains("No splits recorded.") && page.body.contains("Schedule the split"))
            let csrf = try #require(page.field("csrf"))
            func post(_ form: [String: String]) async throws -> String? {
                try await app.browse(.POST, "/app/data/splits", cookies: ["keel_session": admin], form: form.merging(["csrf": csrf]) { a, _ in a }).location
            }
            let good = ["symbol": "nvda", "ex_date": Self.tomorrow(app), "new_shares": "10", "old_shares": "1"]
            for (field, value, code) in [("symbol", "A A", "symbol"), ("ex_date", CivilDay(app.clock.now()).description, "ex_date"), ("ex_date", "", "ex_date"),
                                         ("new_shares", "two", "new_shares"), ("new_shares", "1", "new_shares"), ("old_shares", "3", "old_shares")] {
                #expect(try await post(good.merging([field: value]) { _, b in b }) == "/app/data?error=\(code)#splits", "\(field) = \(value)")
            }
            #expect(try await post(good) == "/app/data?done=scheduled#splits")
            #expect(try await post(good) == "/app/data?done=unchanged#splits")
            #expect(try await post(good.merging(["new_shares": "4"]) { _, b in b }) == "/app/data?error=conflicting_split#splits")
            let scheduled = try await app.browse(.GET, "/app/data?done=scheduled", cookies: ["keel_session": admin]).body
            #expect(scheduled.contains("The split is scheduled") && scheduled.contains("10-for-1") && scheduled.contains(Self.tomorrow(app))
                    && scheduled.contains(">scheduled<"))
            #expect(try await app.count("corporate_actions") == 1)

            let (_, advisorSession) = try await WorkspaceSessionTests.signIn(app, next: "/app/data")
            let advisor = try #require(advisorSession)
            let seen = try await app.browse(.GET, "/app/data", cookies: ["keel_session": advisor])
            #expect(seen.body.contains("10-for-1") && !seen.body.contains("Schedule the split"), "an advisor sees splits but cannot schedule one")
            let refused = try await app.browse(.POST, "/app/data/splits", cookies: ["keel_session": advisor],
                                               form: good.merging(["ex_date": CivilDay(app.clock.now()).adding(days: 2).description, "csrf": seen.field("csrf") ?? ""]) { _, b in b })
            #expect(refused.location == "/app/data?error=forbidden#splits")
            #expect(try await app.count("corporate_actions") == 1)

            // After the ex-date begins the page shows it applied (the list applies due splits first).
            app.clock.advance(by: 86_400)
            let (_, laterSession) = try await WorkspaceSessionTests.signIn(app, user: "admin", password: TestFixtures.adminPassword, next: "/app/data")
            let applied = try await app.browse(.GET, "/app/data", cookies: ["keel_session": try #require(laterSession)]).body
            #expect(applied.contains("applied ") && !applied.contains(">scheduled<"))
        }
    }
}
