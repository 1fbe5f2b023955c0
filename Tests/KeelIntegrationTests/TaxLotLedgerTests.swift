import Foundation
@_spi(RawSQL) import KeelStore
import KeelCore
import KeelServices
import KeelTestSupport
import Testing
import Vapor

/// The lot ledger through real executions: every fill opens or consumes lots in the fills' own transaction, the lots
/// agree with the positions, sales are realised by tax year (JSON and Form 8949), accounts from before the ledger are
/// rebuilt from their fills, and the substantially identical groups are the advisor's.
@Suite("Tax lot ledger")
struct TaxLotLedgerTests {
    static func lotQuantities(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> [String: Decimal] {
        let lots = try await app.request(.GET, "/api/brokerages/accounts/\(scenario.accountHash)/lots", token: scenario.token)
        #expect(lots.status == .ok, "\(lots)")
        var held: [String: Decimal] = [:]
        for lot in lots.array {
            held[lot.string("symbol") ?? "", default: 0] += Self.decimal(lot["quantity"])
        }
        return held
    }

    /// A JSON number as the decimal it was written as (its shortest text, not the nearest binary double).
    static func decimal(_ value: Any?) -> Decimal {
        (value as? NSNumber).flatMap { Decimal(string: $0.stringValue) } ?? 0
    }

    static func positions(_ app: KeelTestApp, _ scenario: TradingScenario) async throws -> [String: Decimal] {
        let rows = try await app.database.read { try await $0.ledger.positions(accountHash: scenario.accountHash) }
        return Dictionary(rows.map { ($0.symbol, $0.quantity) }, uniquingKeysWith: +)
    }

    @Test("buys open lots that equal the positions; a sale realises them by tax year (JSON and Form 8949); a rebuild from the fills gives the same lots",
          arguments: TestDatabase.available)
    func lotsFollowTheFills(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let bought = try await scenario.execute(app, batchID: try await scenario.approvedBatch(app), dryRun: false)
            #expect(bought.status == .ok, "\(bought)")
            let positions = try await Self.positions(app, scenario)
            #expect(!positions.isEmpty)
            #expect(try await Self.lotQuantities(app, scenario) == positions, "the lots hold exactly the positions")
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).isEmpty)

            // Fewer names: the planner sells some, and each sale is realised lot by lot.
            let smaller = try await scenario.rebalance(app, requireApproval: false, maxPositions: 3)
            let batchID = try #require(smaller.object.string("batch_id"), "\(smaller)")
            #expect(try await scenario.execute(app, batchID: batchID, dryRun: false).status == .ok)
            let after = try await Self.positions(app, scenario)
            #expect(try await Self.lotQuantities(app, scenario) == after)
            let sold = positions.reduce(Decimal(0)) { $0 + max(0, $1.value - (after[$1.key] ?? 0)) }
            #expect(sold > 0, "the smaller portfolio sold something")

            let year = CivilDay(app.services.context.clock.now()).components.year
            let realized = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: scenario.token)
            #expect(realized.status == .ok, "\(realized)")
            let rows = realized.object.objects("lots")
            let realizedShares = rows.reduce(Decimal(0)) { $0 + Self.decimal($1["quantity"]) }
            #expect(realizedShares == sold, "every sold share realised once")
            #expect(rows.allSatisfy { $0.string("term") == "short" && $0["cost_basis"] != nil && $0.string("sold_on") != nil })
            #expect(realized.object.string("notice")?.contains("not tax advice") == true)
            let csv = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/form-8949?year=\(year)", token: scenario.token)
            #expect(csv.status == .ok, "\(csv)")
            let lines = csv.body.split(separator: "\n")
            #expect(lines.first == "description,date_acquired,date_sold,proceeds,cost_basis,code,adjustment,gain_or_loss,term")
            #expect(lines.count == rows.count + 1)
            // The client's page shows the year so far and offers the same rows through the session.
            let cookie = try #require(try await WorkspaceSessionTests.signIn(app).session)
            let page = try await app.browse(.GET, "/app/clients/\(scenario.clientID)", cookies: ["keel_session": cookie])
            #expect(page.body.contains("Taxes \(year)") && page.body.contains("Not tax advice") && page.body.contains("/app/clients/\(scenario.clientID)/form-8949?year=\(year)"))
            let download = try await app.browse(.GET, "/app/clients/\(scenario.clientID)/form-8949?year=\(year)", cookies: ["keel_session": cookie])
            #expect(download.status == .ok && download.body == csv.body)
            #expect(try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=1066", token: scenario.token).errorField == "year")
            #expect(try await app.request(.GET, "/api/clients/\(scenario.clientID + 999)/tax/realized", token: scenario.token).status == .notFound)

            // An account from before the ledger: its lots and realised rows are rebuilt from its fills, the same.
            let before = try await Self.lotQuantities(app, scenario)
            try await app.database.write { session in
                try await session.sql.raw("DELETE FROM tax_lots WHERE account_hash = \(bind: scenario.accountHash)").run()
                try await session.sql.raw("DELETE FROM realized_lots WHERE account_hash = \(bind: scenario.accountHash)").run()
            }
            #expect(try await app.services.tax.backfill() == 1)
            let rebuilt = try await Self.lotQuantities(app, scenario)
            #expect(rebuilt == before, "\(rebuilt) vs \(before)")
            #expect(try await app.count("realized_lots", where: "account_hash = '\(scenario.accountHash)'") == rows.count)
            #expect(try await app.services.tax.backfill() == 0, "nothing left to rebuild")

            // Reconciliation: shares the lots do not hold (an opening position) get a lot at the position's average
            // cost; lots holding more than the position are reported.
            // A whole-share holding (a crypto fraction would go through SQLite's binary arithmetic in the raw UPDATE).
            let (symbol, quantity) = try #require(after.filter { $0.value >= 10 && $0.value == $0.value.roundedToCents && !$0.key.contains("-") }
                .min { $0.key < $1.key })
            try await app.database.write { session in
                try await session.sql.raw("UPDATE positions SET quantity = quantity + 5 WHERE account_hash = \(bind: scenario.accountHash) AND symbol = \(bind: symbol)").run()
            }
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).map(\.symbol) == [symbol])
            let report = try await app.services.reconciliation.reconcile(inFlightGrace: 0, accountHash: scenario.accountHash)
            #expect(report.lotMismatches.isEmpty)
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).isEmpty)
            let opening = try await app.services.tax.lots(accountHash: scenario.accountHash, by: Principal(userID: "admin", role: .admin, clientID: nil)).filter { $0.lotID.hasPrefix("opening-") }
            #expect(opening.count == 1 && opening.first?.quantity == 5 && opening.first?.basisKnown == true)
            try await app.database.write { session in
                try await session.sql.raw("UPDATE positions SET quantity = quantity - 7 WHERE account_hash = \(bind: scenario.accountHash) AND symbol = \(bind: symbol)").run()
            }
            let reported = try await app.services.reconciliation.reconcile(inFlightGrace: 0, accountHash: scenario.accountHash).lotMismatches
            #expect(reported.count == 1 && reported.first?.lots == quantity + 5 && reported.first?.position == quantity - 2, "\(reported)")
        }
    }

    @Test("a failure while the lots are written (after the fills, in their transaction) stores neither; reconciliation then posts both once",
          arguments: TestDatabase.available)
    func aCrashMidPostingLosesNoLot(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            let batchID = try await scenario.approvedBatch(app)
            // The fault: any lot insert fails (a trigger), as a process dying between the fills and the lots would.
            try await app.database.write { session in
                if session.dialect == .postgres {
                    try await session.sql.raw("CREATE FUNCTION keel_test_fail_lots() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected lot failure'; END $$ LANGUAGE plpgsql").run()
                    try await session.sql.raw("CREATE TRIGGER keel_test_fail_lots BEFORE INSERT ON tax_lots FOR EACH ROW EXECUTE FUNCTION keel_test_fail_lots()").run()
                } else {
                    try await session.sql.raw("CREATE TRIGGER keel_test_fail_lots BEFORE INSERT ON tax_lots BEGIN SELECT RAISE(ABORT, 'injected lot failure'); END").run()
                }
            }
            _ = try await scenario.execute(app, batchID: batchID, dryRun: false)
            #expect(try await app.count("fills", where: "account_hash = '\(scenario.accountHash)'") == 0, "the fills rolled back with the lots")
            #expect(try await app.count("tax_lots", where: "account_hash = '\(scenario.accountHash)'") == 0)
            try await app.database.write { session in
                try await session.sql.raw("DROP TRIGGER keel_test_fail_lots\(unsafeRaw: session.dialect == .postgres ? " ON tax_lots" : "")").run()
                if session.dialect == .postgres { try await session.sql.raw("DROP FUNCTION keel_test_fail_lots()").run() }
            }
            // The next start's reconciliation finds the orders at the broker and posts their fills and lots together.
            _ = try await app.services.reconciliation.reconcile(inFlightGrace: 0, accountHash: scenario.accountHash)
            let positions = try await Self.positions(app, scenario)
            #expect(!positions.isEmpty, "the broker's fills are posted")
            #expect(try await Self.lotQuantities(app, scenario) == positions, "every held share is in a lot")
            let orders = try await app.count("batch_orders", where: "batch_id = '\(batchID)' AND status = 'filled'")
            #expect(try await app.count("tax_lots", where: "account_hash = '\(scenario.accountHash)'") == orders, "one lot per buy fill, none twice")
            let duplicates = try await app.count("(SELECT client_order_key FROM broker_calls WHERE operation = 'place_order' GROUP BY client_order_key HAVING COUNT(*) > 1) d")
            #expect(duplicates == 0, "no order was sent twice")
        }
    }

    @Test("substantially identical groups: staff set them, bad ones are refused naming the group", arguments: TestDatabase.available)
    func identicalGroups(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let token = try await app.login()
            let set = try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: ["groups": [["voo", "IVV", "SPLG"], ["QQQ", "QQQM"]]])
            #expect(set.status == .ok, "\(set)")
            let read = try await app.request(.GET, "/api/tax/identical-groups", token: token)
            #expect(read.object["groups"] as? [[String]] == [["IVV", "SPLG", "VOO"], ["QQQ", "QQQM"]], "\(read)")
            #expect(try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: ["groups": [["VOO"]]]).errorField == "groups.0")
            #expect(try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: ["groups": [["VOO", "IVV"], ["IVV", "SPY"]]]).errorField == "groups.1")
            #expect(try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: [:]).errorField == "groups")
        }
    }

    @Test("the rebalancer never buys back what it just sold at a loss (a wash sale) unless the advisor allows it; batches carry the tax estimates",
          arguments: TestDatabase.available)
    func theRebalancerRefusesToCreateAWashSale(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            #expect(try await scenario.execute(app, batchID: try await scenario.approvedBatch(app), dryRun: false).status == .ok)
            let held = try await Self.positions(app, scenario)
            // Three names only: the others are sold right after they were bought, at a loss of slippage and fees.
            let smaller = try await scenario.rebalance(app, requireApproval: false, maxPositions: 3)
            let smallerID = try #require(smaller.object.string("batch_id"), "\(smaller)")
            let estimates = try #require((smaller.object["tax"] as? [String: Any])?["estimates"] as? [String: Any], "\(smaller.object.keys)")
            #expect(!estimates.isEmpty, "each sale carries its estimated gain and tax")
            #expect(try await scenario.execute(app, batchID: smallerID, dryRun: false).status == .ok)
            let after = try await Self.positions(app, scenario)
            let sold = Set(held.keys).subtracting(after.keys)
            let year = CivilDay(app.services.context.clock.now()).components.year
            let realized = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: scenario.token).object
            let losses = Set(realized.objects("lots").filter { ($0["gain_or_loss"] as? NSNumber)?.doubleValue ?? 0 < 0 }.compactMap { $0.string("symbol") })
            #expect(!losses.isEmpty && losses.isSubset(of: sold), "\(losses) sold at a loss")

            // Back to ten names: the ones just sold at a loss are not bought, and the batch says why.
            let back = try await scenario.rebalance(app, requireApproval: true, maxPositions: 10)
            #expect(back.status == .ok, "\(back)")
            let bought = Set(back.object.objects("orders").filter { $0.string("side") == "buy" }.compactMap { $0.string("symbol") })
            #expect(bought.isDisjoint(with: losses), "bought back \(bought.intersection(losses))")
            let adjustments = (back.object["tax"] as? [String: Any])?["adjustments"] as? [String: String] ?? [:]
            for symbol in losses { #expect(adjustments[symbol]?.contains("wash sale") == true, "\(symbol): \(adjustments)") }

            // The advisor may do it knowingly.
            let knowing = try await app.request(.POST, "/api/rl/trading/rebalance", token: scenario.token, json: [
                "client_id": scenario.clientID, "account_hash": scenario.accountHash, "portfolio_id": 1, "max_positions": 10,
                "require_approval": true, "allow_wash_sales": true,
            ])
            let knowinglyBought = Set(knowing.object.objects("orders").filter { $0.string("side") == "buy" }.compactMap { $0.string("symbol") })
            #expect(!knowinglyBought.isDisjoint(with: losses), "\(knowing)")

            // A retirement account's client: set not taxable, and the rules step aside.
            let preferences = try await app.request(.PUT, "/api/clients/\(scenario.clientID)/tax/preferences", token: scenario.token,
                                                    json: ["taxable": false, "lot_method": "hifo"])
            #expect(preferences.status == .ok && preferences.object["taxable"] as? Bool == false && preferences.object.string("lot_method") == "hifo")
            let untaxed = try await scenario.rebalance(app, requireApproval: true, maxPositions: 10)
            #expect(untaxed.object["tax"] == nil || untaxed.object["tax"] is NSNull, "\(untaxed.object.keys)")
            #expect(try await app.request(.PUT, "/api/clients/\(scenario.clientID)/tax/preferences", token: scenario.token,
                                          json: ["short_term_rate": 1.5]).errorField == "short_term_rate")
            #expect(try await app.request(.PUT, "/api/clients/\(scenario.clientID)/tax/preferences", token: scenario.token,
                                          json: ["lot_method": "lifo"]).errorField == "lot_method")
        }
    }

    @Test("a trim whose lots by FIFO a recent purchase would wash sells the recent shares first: the order carries the lots, no loss is disallowed",
          arguments: TestDatabase.available)
    func aTrimSellsRecentSharesFirstToAvoidAWashSale(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database) { app in
            let scenario = try await TradingScenario.make(app)
            #expect(try await scenario.execute(app, batchID: try await scenario.approvedBatch(app), dryRun: false).status == .ok)
            let held = try await app.database.read { try await $0.ledger.positions(accountHash: scenario.accountHash) }
            let position = try #require(held.filter { $0.quantity >= 20 && $0.quantity == $0.quantity.roundedToCents && !$0.symbol.contains("-") }
                .min { $0.symbol < $1.symbol }, "\(held)")
            let symbol = position.symbol, recentShares: Decimal = 5
            // Most of the position as an old lot bought at twice today's cost (a loss), the rest bought today.
            let today = CivilDay(app.services.context.clock.now())
            let old = today.adding(days: -90).description
            try await app.database.write { session in
                try await session.sql.raw("DELETE FROM tax_lots WHERE account_hash = \(bind: scenario.accountHash) AND symbol = \(bind: symbol)").run()
                for (id, quantity, day, basis) in [("old-lot", position.quantity - recentShares, old, (position.quantity - recentShares) * position.averageCost * 2),
                                                   ("recent-lot", recentShares, today.description, recentShares * position.averageCost)] {
                    try await session.sql.raw("""
                        INSERT INTO tax_lots (lot_id, account_hash, symbol, acquired_on, held_since, quantity, cost_basis, basis_known,
                                              replacement_shares, wash_adjustment, opened_by)
                        VALUES (\(bind: id), \(bind: scenario.accountHash), \(bind: symbol), \(bind: day), \(bind: day), \(bind: quantity),
                                \(bind: basis), \(bind: true), \(bind: Decimal(0)), \(bind: Decimal(0)), \(bind: "test"))
                        """).run()
                }
            }
            // A lower maximum weight trims every name, this one included.
            let weight = (position.quantity * position.averageCost).doubleValue / 100_000
            #expect(try await app.request(.PUT, "/api/clients/\(scenario.clientID)/preferences", token: scenario.token,
                                          json: ["max_weight": (weight * 0.6 * 1_000).rounded() / 1_000]).status == .ok)
            let trim = try await scenario.rebalance(app, requireApproval: false, maxPositions: 10)
            let batchID = try #require(trim.object.string("batch_id"), "\(trim)")
            let sale = try #require(trim.object.objects("orders").first { $0.string("symbol") == symbol && $0.string("side") == "sell" }, "\(trim)")
            let orderID = try #require(sale.string("order_id"))
            let adjustments = (trim.object["tax"] as? [String: Any])?["adjustments"] as? [String: String] ?? [:]
            #expect(adjustments[symbol] == nil, "the trim is made, not held back: \(adjustments)")
            let instructions = try await app.database.read { try await $0.batches.lotInstructions(orderIDs: [orderID]) }
            #expect(instructions[orderID]?.first == "recent-lot", "\(instructions)")

            #expect(try await scenario.execute(app, batchID: batchID, dryRun: false).status == .ok)
            let year = today.components.year
            let realized = try await app.request(.GET, "/api/clients/\(scenario.clientID)/tax/realized?year=\(year)", token: scenario.token).object.objects("lots")
            let rows = realized.filter { $0.string("symbol") == symbol }
            #expect(rows.first?.string("lot_id") == "recent-lot", "the recent shares are sold first: \(rows)")
            #expect(realized.allSatisfy { Self.decimal($0["wash_sale_disallowed"]) == 0 }, "no loss disallowed: \(realized)")
            #expect(try await app.services.tax.mismatches(accountHashes: [scenario.accountHash]).isEmpty)
        }
    }

    @Test("concurrent preference updates keep every field, and concurrent group and substitute replacements all succeed (serialised by the database)",
          arguments: TestDatabase.available)
    func concurrentTaxSettings(database: TestDatabase) async throws {
        try await KeelTestApp.run(on: database, databasePoolSize: 8) { app in
            let scenario = try await TradingScenario.make(app)
            let token = scenario.token, path = "/api/clients/\(scenario.clientID)/tax/preferences"
            let bodies: [[String: any Sendable]] = [["lot_method": "hifo"], ["harvest": true], ["short_term_rate": 0.3], ["long_term_rate": 0.15],
                                           ["drift_tax_tolerance": 0.2], ["yearly_gains_budget": 5_000], ["harvest_minimum_loss": 250],
                                           ["harvest_minimum_loss_percent": 0.08]]
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for body in bodies { group.addTask { try await app.request(.PUT, path, token: token, json: body).status.code } }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 200 }, "\(statuses)")
            let stored = try await app.request(.GET, path, token: token).object
            #expect(stored.string("lot_method") == "hifo" && stored["harvest"] as? Bool == true && stored.double("short_term_rate") == 0.3
                    && stored.double("long_term_rate") == 0.15 && stored.double("drift_tax_tolerance") == 0.2 && stored.double("yearly_gains_budget") == 5_000
                    && stored.double("harvest_minimum_loss") == 250 && stored.double("harvest_minimum_loss_percent") == 0.08, "\(stored)")

            let groups = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<8 {
                    group.addTask { try await app.request(.PUT, "/api/tax/identical-groups", token: token, json: ["groups": [["VOO", "IVV"], ["QQQ\(index)", "QQQM"]]]).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(groups.allSatisfy { $0 == 200 }, "\(groups)")
            #expect(try await app.count("identical_securities") == 4)

            let substitutes = try await withThrowingTaskGroup(of: UInt.self) { group in
                for index in 0..<8 {
                    group.addTask { try await app.request(.PUT, "/api/tax/substitutes", token: token, json: ["substitutes": ["VOO": "VTI", "AAPL": "MSFT\(index)"]]).status.code }
                }
                return try await group.reduce(into: [UInt]()) { $0.append($1) }
            }
            #expect(substitutes.allSatisfy { $0 == 200 }, "\(substitutes)")
            #expect(try await app.count("harvest_substitutes") == 2)
        }
    }
}
